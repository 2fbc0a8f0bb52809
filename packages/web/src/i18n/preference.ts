// The language choice of this browser: "browser" (follow navigator.languages) or a language, kept in localStorage.
// Applying it sets the app's language and `<html lang>`.

import { language, setLanguage } from "./i18n.js";
import { isLanguage, LANGUAGE_STORAGE_KEY, type Language, negotiate } from "./locale.js";

export type LanguageChoice = Language | "browser";

export interface LanguageEnvironment {
  /** Best first, as navigator.languages. */
  languages: () => readonly string[];
  storage: Pick<Storage, "getItem" | "setItem" | "removeItem">;
  /** The root element whose `lang` follows the language. */
  root: { lang: string };
}

export class LanguagePreference {
  constructor(private readonly env: LanguageEnvironment) {}

  choice(): LanguageChoice {
    const stored = this.env.storage.getItem(LANGUAGE_STORAGE_KEY);
    return isLanguage(stored) ? stored : "browser";
  }

  /** The language the browser asks for (what "browser" means here). */
  browserLanguage(): Language {
    return negotiate(this.env.languages());
  }

  /** Applies the stored choice (at start). */
  apply(): Language {
    const choice = this.choice();
    const next = choice === "browser" ? this.browserLanguage() : choice;
    setLanguage(next, this.env.languages());
    this.env.root.lang = next;
    return language();
  }

  choose(choice: LanguageChoice): Language {
    if (choice === "browser") this.env.storage.removeItem(LANGUAGE_STORAGE_KEY);
    else this.env.storage.setItem(LANGUAGE_STORAGE_KEY, choice);
    return this.apply();
  }
}
