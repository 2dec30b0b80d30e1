/** Every mounted component gets the app's i18n, as main.ts installs it; each test starts in English. */

import { config } from '@vue/test-utils'
import { beforeEach } from 'vitest'
import { i18n, setLocale } from '../i18n'

config.global.plugins = [i18n]

beforeEach(() => setLocale('en'))
