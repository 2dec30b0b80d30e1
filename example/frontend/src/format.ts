/**
 * Display helpers: a readable device name from a user agent, and relative times, in the
 * app's language. Browser and system names are proper names and stay as they are.
 */

import { i18n, regionalTags } from './i18n'

export function describeDevice(userAgent: string): string {
  const { t } = i18n.global
  if (!userAgent) return t('format.unknownDevice')
  const browser =
    /Edg\//.test(userAgent) ? 'Edge'
    : /Firefox\//.test(userAgent) ? 'Firefox'
    : /(Chrome|Chromium|HeadlessChrome)\//.test(userAgent) ? 'Chrome'
    : /Safari\//.test(userAgent) ? 'Safari'
    : /curl|python|httpie|axios|node/i.test(userAgent) ? t('format.apiClient')
    : t('format.browser')
  const os =
    /Android/.test(userAgent) ? 'Android'
    : /iPhone|iPad/.test(userAgent) ? 'iOS'
    : /Windows/.test(userAgent) ? 'Windows'
    : /Mac OS X/.test(userAgent) ? 'macOS'
    : /Linux/.test(userAgent) ? 'Linux'
    : ''
  return os ? t('format.deviceOn', { browser, os }) : browser
}

export function formatWhen(iso: string, now = Date.now()): string {
  const { t, locale } = i18n.global
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000)
  if (seconds < 60) return t('format.justNow')
  if (seconds < 3600) return t('format.minutesAgo', { count: Math.floor(seconds / 60) })
  if (seconds < 86_400) return t('format.hoursAgo', { count: Math.floor(seconds / 3600) })
  return new Date(iso).toLocaleDateString(regionalTags(locale.value))
}
