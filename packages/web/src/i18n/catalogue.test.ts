import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type Message, placeholdersOf } from "./catalogue.js";
import { de } from "./de.js";
import { en } from "./en.js";
import { language, locale, setLanguage, t } from "./i18n.js";
import { LANGUAGES, negotiate, SUPPORTED } from "./locale.js";
import { LanguagePreference } from "./preference.js";
import { fill } from "./translate.js";

const CATEGORIES = ["zero", "one", "two", "few", "many", "other"];

describe("message catalogues", () => {
  for (const code of SUPPORTED) {
    const messages: Record<string, Message> = LANGUAGES[code].messages;
    it(`${code}: has exactly the keys of English`, () => {
      assert.deepEqual(Object.keys(messages).sort(), Object.keys(en).sort());
    });

    it(`${code}: every message has the placeholders of its English source`, () => {
      const source: Record<string, Message> = en;
      for (const key of Object.keys(source)) {
        assert.deepEqual(placeholdersOf(messages[key]!), placeholdersOf(source[key]!), `placeholders of ${code} "${key}"`);
      }
    });

    it(`${code}: plurals give the language's plural categories, and each form is written`, () => {
      const needed = new Intl.PluralRules(code).resolvedOptions().pluralCategories;
      for (const [key, message] of Object.entries(messages)) {
        if (typeof message === "string") {
          assert.ok(message.trim() !== "", `${code} "${key}" is empty`);
          continue;
        }
        for (const category of Object.keys(message)) assert.ok(CATEGORIES.includes(category), `${key}: ${category}`);
        for (const category of needed) {
          assert.ok(typeof message[category as keyof typeof message] === "string", `${code} "${key}" lacks "${category}"`);
        }
      }
    });
  }

  it("German is a translation, not a copy of English", () => {
    const same = Object.keys(en).filter(
      (key) => JSON.stringify(de[key as keyof typeof en]) === JSON.stringify(en[key as keyof typeof en]),
    );
    // Words that are the same in both languages (loanwords, the product's own terms).
    const alike = new Set([
      "app.name",
      "sidebar.admin",
      "group.admin",
      "auth.optional",
      "presence.online",
      "presence.offline",
      "chat.label",
      "report.spam",
    ]);
    assert.deepEqual(
      same.filter((key) => !alike.has(key)),
      [],
    );
  });
});

/** The app's sources (not tests, not the catalogues): this file runs from packages/web/lib/i18n/. */
function appSources(dir = fileURLToPath(new URL("../../src/", import.meta.url)), out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const catalogue = SUPPORTED.some((code) => name === `${code}.ts`);
    if (statSync(path).isDirectory()) appSources(path, out);
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !catalogue) out.push(readFileSync(path, "utf8"));
  }
  return out;
}

describe("catalogue keys in use", () => {
  it("every key of the catalogue is used by the app (no text left behind by a change)", () => {
    const code = appSources().join("\n");
    // A "systemYou." message is reached through its "system." twin (format/system-events.ts); a family of keys may be
    // reached through a template (`emoji.group.${slug}`).
    const used = (key: string) =>
      code.includes(`"${key.replace(/^systemYou\./, "system.")}"`) ||
      code.includes(`\`${key.slice(0, key.lastIndexOf(".") + 1)}\${`);
    const unused = Object.keys(en).filter((key) => !used(key));
    assert.deepEqual(unused, []);
  });
});

describe("placeholdersOf", () => {
  it("finds the names in braces, and count in a plural", () => {
    assert.deepEqual(placeholdersOf("{actor} added {names}"), ["actor", "names"]);
    assert.deepEqual(placeholdersOf({ one: "Photo", other: "{count} photos" }), ["count"]);
    assert.deepEqual(placeholdersOf({ one: "{name} and {count} other", other: "{name} and {count} others" }), ["count", "name"]);
  });
});

describe("fill", () => {
  it("fills placeholders and formats numbers for the language", () => {
    assert.equal(
      fill("Too long: {bytes} of {max} bytes", "en", { bytes: 12345, max: 10000 }),
      "Too long: 12,345 of 10,000 bytes",
    );
    assert.equal(
      fill("Zu lang: {bytes} von {max} Bytes", "de", { bytes: 12345, max: 10000 }),
      "Zu lang: 12.345 von 10.000 Bytes",
    );
  });

  it("picks the plural form with Intl.PluralRules", () => {
    const photos = { one: "Photo", other: "{count} photos" };
    assert.equal(fill(photos, "en", { count: 1 }), "Photo");
    assert.equal(fill(photos, "en", { count: 3 }), "3 photos");
    assert.equal(fill(photos, "en", { count: 0 }), "0 photos");
  });

  it("leaves a missing parameter visible instead of dropping it", () => {
    assert.equal(fill("Hello {name}", "en", {}), "Hello {name}");
  });
});

describe("language negotiation", () => {
  it("takes the first of the browser's languages the app has", () => {
    assert.equal(negotiate(["fr-FR", "de-AT", "en-US"]), "de");
    assert.equal(negotiate(["en-GB", "de"]), "en");
    assert.equal(negotiate(["DE-de"]), "de");
  });

  it("falls back to English", () => {
    assert.equal(negotiate(["fr", "ja"]), "en");
    assert.equal(negotiate([]), "en");
  });
});

describe("LanguagePreference", () => {
  const environment = (languages: string[]) => {
    const store = new Map<string, string>();
    return {
      root: { lang: "en" },
      languages: () => languages,
      storage: {
        getItem: (key: string) => store.get(key) ?? null,
        setItem: (key: string, value: string) => void store.set(key, value),
        removeItem: (key: string) => void store.delete(key),
      },
    };
  };

  it("follows the browser until a language is chosen, keeps the choice, and sets <html lang>", () => {
    const env = environment(["de-CH", "en"]);
    const preference = new LanguagePreference(env);
    try {
      assert.equal(preference.apply(), "de");
      assert.equal(env.root.lang, "de");
      assert.equal(preference.choice(), "browser");
      assert.equal(locale(), "de-CH");
      assert.equal(t("auth.signIn"), "Anmelden");

      assert.equal(preference.choose("en"), "en");
      assert.equal(env.root.lang, "en");
      assert.equal(t("auth.signIn"), "Sign in");
      // A new page load reads the stored choice.
      assert.equal(new LanguagePreference(env).choice(), "en");
      assert.equal(new LanguagePreference(env).apply(), "en");

      assert.equal(preference.choose("browser"), "de");
      assert.equal(new LanguagePreference(env).choice(), "browser");
    } finally {
      setLanguage("en", []);
    }
    assert.equal(language(), "en");
  });

  it("ignores a stored value that is not a language the app has", () => {
    const env = environment(["en-US"]);
    env.storage.setItem("parley.language", "xx");
    assert.equal(new LanguagePreference(env).choice(), "browser");
  });
});

describe("t", () => {
  it("speaks the current language, with plurals", () => {
    try {
      setLanguage("de", ["de-DE"]);
      assert.equal(t("group.members", { count: 1 }), "1 Mitglied");
      assert.equal(t("group.members", { count: 3 }), "3 Mitglieder");
      assert.equal(t("composer.replyingTo", { name: "Ann" }), "Antwort an Ann");
    } finally {
      setLanguage("en", []);
    }
    assert.equal(t("group.members", { count: 1 }), "1 member");
  });
});
