import { describe, expect, it } from 'vitest'
import { chooseLocale, i18n, regionalTags, setLocale } from '../i18n'
import de from '../locales/de'
import en from '../locales/en'
import fr from '../locales/fr'

/** Every key of a catalog, as `group.key` paths, sorted. */
function keysOf(catalog: object, prefix = ''): string[] {
  return Object.entries(catalog)
    .flatMap(([key, value]) =>
      typeof value === 'object' && value !== null ? keysOf(value, `${prefix}${key}.`) : [`${prefix}${key}`],
    )
    .sort()
}

/** The text at a `group.key` path. */
function textAt(catalog: object, path: string): string {
  return path.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], catalog) as string
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort()

describe('language', () => {
  it.each([
    [['fr-CH', 'en'], 'fr'],
    [['de'], 'de'],
    [['de-AT', 'fr'], 'de'],
    [['ja'], 'en'],
    [['ja-JP', 'FR'], 'fr'],
    [['en-GB', 'de'], 'en'],
    [[], 'en'],
  ])('is chosen from navigator.languages %j as %s', (languages, locale) => {
    expect(chooseLocale(languages)).toBe(locale)
  })

  it("keeps the browser's regions for dates", () => {
    expect(regionalTags('fr', ['de-DE', 'fr-CH', 'fr'])).toEqual(['fr-CH', 'fr', 'fr'])
    expect(regionalTags('en', ['ja'])).toEqual(['en'])
  })

  it('is set on <html lang>', () => {
    setLocale('de')
    expect(document.documentElement.lang).toBe('de')
    expect(i18n.global.locale.value).toBe('de')
  })
})

describe('catalogs', () => {
  it.each([
    ['fr', fr],
    ['de', de],
  ])('%s has exactly the keys of en', (_, catalog) => {
    expect(keysOf(catalog)).toEqual(keysOf(en))
  })

  it.each([
    ['fr', fr],
    ['de', de],
  ])('%s keeps the placeholders of en', (_, catalog) => {
    for (const key of keysOf(en)) {
      expect(placeholders(textAt(catalog, key)), key).toEqual(placeholders(textAt(en, key)))
    }
  })

  it('has every key the source asks for', () => {
    const sources = import.meta.glob(['../**/*.{ts,vue}', '!../__tests__/**', '!../locales/**'], {
      query: '?raw',
      import: 'default',
      eager: true,
    }) as Record<string, string>
    const known = new Set(keysOf(en))
    const used = Object.values(sources).flatMap((text) =>
      [...text.matchAll(/\bt\('([\w.]+)'|keypath="([\w.]+)"/g)].map((match) => match[1] ?? match[2]),
    )
    expect(used.length).toBeGreaterThan(0)
    expect(used.filter((key) => !known.has(key!))).toEqual([])
  })
})
