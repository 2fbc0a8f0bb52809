// React access to the current language: `useT()` gives `t` and re-renders the component when the language changes;
// `useLanguage()` also gives the choice stored in this browser and a way to change it (the account dialog).

import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from "react";
import { language, onLanguageChange, type T, t } from "./i18n.js";
import type { Language } from "./locale.js";
import type { LanguageChoice, LanguagePreference } from "./preference.js";

interface I18nValue {
  t: T;
  language: Language;
  preference: LanguagePreference | null;
}

const I18nContext = createContext<I18nValue>({ t, language: "en", preference: null });

export function I18nProvider({ preference, children }: { preference: LanguagePreference | null; children: ReactNode }) {
  const [current, setCurrent] = useState(language);
  useEffect(() => onLanguageChange(() => setCurrent(language())), []);
  // A new `t` per language, so components that memoise on `t` recompute their text.
  const value = useMemo<I18nValue>(
    () => ({ t: ((...args) => t(...args)) as T, language: current, preference }),
    [current, preference],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useT(): T {
  return useContext(I18nContext).t;
}

export function useLanguage(): {
  language: Language;
  choice: LanguageChoice;
  browserLanguage: Language;
  choose: (choice: LanguageChoice) => void;
} {
  const { language: current, preference } = useContext(I18nContext);
  return {
    language: current,
    choice: preference?.choice() ?? "browser",
    browserLanguage: preference?.browserLanguage() ?? current,
    choose: (choice) => preference?.choose(choice),
  };
}
