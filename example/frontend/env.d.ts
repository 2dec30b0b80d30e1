/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Base URL of the API; same-origin `/api/v1/` when unset. */
  readonly VITE_API_BASE_URL?: string
}

interface ImportMeta {
  readonly env: ImportMetaEnv
}
