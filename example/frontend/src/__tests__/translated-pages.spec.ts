import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter, createWebHistory } from 'vue-router'
import { describeDevice, formatWhen } from '../format'
import { setLocale } from '../i18n'
import { createAppRouter } from '../router'
import ConfirmEmailView from '../views/ConfirmEmailView.vue'
import LoginView from '../views/LoginView.vue'
import { fakeApi, testApp, unmountAll } from './helpers'
import { routesWith } from './routes'

/** The login page, signed out, its login call answered with `answer`. */
async function loginPage(answer: { status: number; data: unknown } | null = null) {
  const fetch = fakeApi(false, (path) => (answer && path.endsWith('/auth/obtain_token/') ? answer : null))
  const { pinia, auth } = testApp(fetch)
  await auth.client.restore()
  const router = createRouter({ history: createMemoryHistory(), routes: routesWith('/login', LoginView) })
  await router.push('/login')
  return mount(LoginView, { global: { plugins: [pinia, auth, router] } })
}

async function logIn(page: Awaited<ReturnType<typeof loginPage>>) {
  await page.get('#username').setValue('alice')
  await page.get('#password').setValue('wrong')
  await page.get('form').trigger('submit')
  await flushPromises()
}

const invalid = { status: 401, data: { detail: 'Server wording.', code: 'invalid_credentials' } }

describe('the login page in French and German', () => {
  afterEach(unmountAll)

  it('renders in French', async () => {
    setLocale('fr')
    const page = await loginPage(invalid)
    expect(page.get('h1').text()).toBe('Connexion')
    expect(page.get('label[for="username"]').text()).toBe("Nom d'utilisateur")
    expect(page.get('label[for="password"]').text()).toBe('Mot de passe')
    expect(page.get('button[type="submit"]').text()).toBe('Se connecter')
    expect(page.findAll('a').map((link) => link.text())).toEqual(['Mot de passe oublié\u00a0?', "S'inscrire"])
    await logIn(page)
    expect(page.get('[role="alert"]').text()).toBe(
      "Ce nom d'utilisateur et ce mot de passe ne correspondent à aucun compte actif.",
    )
  })

  it('renders in German', async () => {
    setLocale('de')
    const page = await loginPage(invalid)
    expect(page.get('h1').text()).toBe('Anmelden')
    expect(page.get('label[for="username"]').text()).toBe('Benutzername')
    expect(page.get('button[type="submit"]').text()).toBe('Anmelden')
    expect(page.text()).toContain('Mit Passkey anmelden')
    expect(page.findAll('a').map((link) => link.text())).toEqual(['Passwort vergessen?', 'Registrieren'])
    await logIn(page)
    expect(page.get('[role="alert"]').text()).toBe('Benutzername und Passwort passen zu keinem aktiven Konto.')
  })

  it('stays English by default, word for word', async () => {
    const page = await loginPage()
    expect(page.get('h1').text()).toBe('Log in')
    expect(page.get('button[type="submit"]').text()).toBe('Log in')
    expect(page.text()).toContain('No account yet?')
  })
})

describe('a line with bold parts', () => {
  afterEach(unmountAll)

  it('keeps the account and address in place in German', async () => {
    setLocale('de')
    const fetch = fakeApi(false, (path) =>
      path.endsWith('/auth/email/change/confirm/')
        ? {
            status: 400,
            data: {
              detail: 'Confirm.',
              code: 'confirmation_required',
              action: 'change_email',
              username: 'alice',
              email: 'new@example.com',
            },
          }
        : null,
    )
    history.replaceState(null, '', '/confirm-email#key=abc')
    const { pinia, auth } = testApp(fetch)
    const router = createRouter({ history: createWebHistory('/'), routes: routesWith('/confirm-email', ConfirmEmailView) })
    await router.push('/confirm-email#key=abc')
    const page = mount(ConfirmEmailView, { global: { plugins: [pinia, auth, router] } })
    await flushPromises()
    const question = page.get('form p')
    expect(question.text()).toBe('new@example.com zur Adresse des Kontos alice machen?')
    expect(question.findAll('strong').map((part) => part.text())).toEqual(['new@example.com', 'alice'])
  })
})

describe('titles and times', () => {
  afterEach(unmountAll)

  it('titles the page in the chosen language', async () => {
    setLocale('fr')
    const { auth } = testApp(fakeApi(false))
    const router = createAppRouter(auth)
    await router.push('/forgot-password')
    expect(document.title).toBe('Mot de passe oublié · spa-auth')
  })

  it('names devices and times in French and German', () => {
    const now = Date.parse('2026-01-01T12:00:00Z')
    const linux = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36'
    setLocale('fr')
    expect(describeDevice(linux)).toBe('Chrome sous Linux')
    expect(formatWhen('2026-01-01T11:45:00Z', now)).toBe('il y a 15 min')
    setLocale('de')
    expect(describeDevice('')).toBe('Unbekanntes Gerät')
    expect(formatWhen('2026-01-01T09:00:00Z', now)).toBe('vor 3 Std.')
  })
})
