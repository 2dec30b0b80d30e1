/**
 * The app's language: English, French or German, chosen once from the browser's preferred
 * languages (`navigator.languages`, in order; English when none matches), and the vue-i18n
 * instance that holds the catalogs of src/locales/. Components read it through `useI18n()`;
 * plain modules (messages, format, the router's titles) through `i18n.global`.
 */

import { createI18n } from 'vue-i18n'
import de from './locales/de'
import en, { type Messages } from './locales/en'
import fr from './locales/fr'

export const LOCALES = ['en', 'fr', 'de'] as const
export type Locale = (typeof LOCALES)[number]

// The English catalog's keys, offered to `t()` as completions (vue-i18n's types accept any
// string there; a test checks the keys the source uses instead).
declare module 'vue-i18n' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  export interface DefineLocaleMessage extends Messages {}
}

export const i18n = createI18n<[Messages], Locale, false>({
  legacy: false,
  locale: 'en',
  fallbackLocale: 'en',
  messages: { en, fr, de },
})

function isLocale(tag: string): tag is Locale {
  return (LOCALES as readonly string[]).includes(tag)
}

/** The first of `languages` whose primary subtag we have (`fr-CH` → `fr`), else English. */
export function chooseLocale(languages: readonly string[]): Locale {
  for (const language of languages) {
    const primary = language.split('-')[0]!.toLowerCase()
    if (isLocale(primary)) return primary
  }
  return 'en'
}

/**
 * The browser's own tags for `locale`, then `locale` itself: dates in French for a `fr-CH`
 * browser are written the Swiss way, and an `en-GB` one keeps its day-first dates.
 */
export function regionalTags(locale: Locale, languages: readonly string[] = navigator.languages): string[] {
  return [...languages.filter((tag) => tag.split('-')[0]!.toLowerCase() === locale), locale]
}

/** Speak `locale` from now on, and say so in `<html lang>` for screen readers and spelling. */
export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  document.documentElement.lang = locale
}
