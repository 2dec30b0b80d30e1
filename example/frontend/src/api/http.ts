/**
 * The app's axios instance for the rest of the API (`users/`, …). `main.ts` installs
 * @spa-auth/client's interceptors on it: the in-memory access token on every call, and one
 * retry after a single shared refresh when the token has expired. Sign-in, refresh,
 * sessions and password calls are the client's own.
 */

import axios from 'axios'

export const API_BASE_URL = import.meta.env.VITE_API_BASE_URL ?? '/api/v1/'

export const http = axios.create({
  baseURL: API_BASE_URL,
  headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
  timeout: 20_000,
})
