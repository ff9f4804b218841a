/**
 * The one catalogue of error codes the agent emits: on the HTTP APIs (`/v1`, dashboard, setup), in CLI
 * errors, from bridges and the inference backends. Each code appears here once, with its meaning and the
 * HTTP status it usually carries (a site may pass a more precise one; UserError's own default is 400);
 * `fix` is the generic advice where the code is user-facing (sites add a more specific one).
 *
 * Style: lowercase snake_case, no prefix (`model_not_loaded`, `invalid_api_key`). Why this style: `/v1`
 * answers in OpenAI's error object (`{error:{message,type,param,code}}`) and OpenAI's own codes are
 * lowercase snake_case (platform.openai.com/docs/guides/error-codes: `invalid_api_key`, `model_not_found`,
 * `context_length_exceeded`); OpenAI client libraries and user scripts match on those, so they cannot
 * change. Every other code follows the same style, so one state has one code whichever surface reports it
 * (the CLI, the backend chain and `/v1` all say `model_not_loaded`). Where OpenAI defines a code for the
 * state, that code is used. The web app matches codes by these strings (webui/src/wizard).
 *
 * Adding a code: add one entry below and use `ErrorCode.NAME` at the throw site; a test rejects string
 * literals at throw sites, duplicate entries and codes outside this style (agent/src/error-codes.test.ts).
 */
export interface ErrorCodeInfo {
  /** HTTP status when the error crosses an API (UserError defaults to 400 when a site passes none). */
  readonly status: number;
  /** What state the code names. */
  readonly meaning: string;
  /** Generic advice to the user, where the code is user-facing. */
  readonly fix?: string;
}

export const ERROR_CATALOGUE = {
  // OpenAI-compatible request errors (/v1 and every JSON route share the error handler).
  invalid_request: { status: 400, meaning: "the request is malformed" },
  invalid_json: { status: 400, meaning: "the request body is not valid JSON" },
  invalid_type: { status: 400, meaning: "a request field has the wrong type" },
  invalid_value: { status: 400, meaning: "a request field has a value outside what is allowed" },
  missing_required_parameter: { status: 400, meaning: "a required request field is missing" },
  unsupported_parameter: { status: 400, meaning: "a request field is not supported by this server" },
  unsupported_media_type: { status: 415, meaning: "the request body is not application/json" },
  body_too_large: { status: 413, meaning: "the request body exceeds the size limit" },
  unsupported_schema: { status: 400, meaning: "a JSON schema uses a feature the grammar cannot express" },
  tools_unsupported: { status: 400, meaning: "the loaded model has no tool-call template" },
  context_length_exceeded: {
    status: 400,
    meaning: "the prompt (with the reply's max_tokens) does not fit the context size",
    fix: "shorten the prompt, lower max_tokens or load the model with a larger context size",
  },
  invalid_api_key: {
    status: 401,
    meaning: "the API token is missing or wrong",
    fix: "send the token from `clawbox token` as `Authorization: Bearer <token>`",
  },
  not_found: { status: 404, meaning: "the route or the named item does not exist" },
  not_implemented: { status: 501, meaning: "the backend in use cannot do this kind of request" },
  not_supported: { status: 501, meaning: "this server was started without the feature" },
  internal_error: { status: 500, meaning: "an unexpected failure; the log has the request id" },
  user_error: { status: 400, meaning: "a user error whose site names no more precise code" },

  // Models and inference.
  model_not_loaded: {
    status: 503,
    meaning: "no model is loaded, so nothing can generate",
    fix: "load one with `clawbox models use <id|file.gguf>` (or pass --model FILE.gguf)",
  },
  model_not_found: { status: 404, meaning: "the named model or model file does not exist" },
  model_invalid: { status: 422, meaning: "the model file cannot be used (format, architecture, size)" },
  model_load_failed: { status: 422, meaning: "llama.cpp failed to load the model file" },
  model_in_use: { status: 409, meaning: "the model is loaded and cannot be removed" },
  model_exists: { status: 409, meaning: "the model store already has a file of this name" },
  invalid_model_spec: { status: 400, meaning: "a model load setting is out of range" },
  invalid_model_source: {
    status: 400,
    meaning: "a model source is not a valid hf: URI, URL or catalogue id",
  },
  not_gguf: { status: 400, meaning: "the file is not a GGUF model file" },
  gguf_invalid: { status: 400, meaning: "the GGUF file cannot be read" },
  gpu_unavailable: { status: 500, meaning: "the requested GPU backend of llama.cpp is not available" },
  engine_closed: { status: 503, meaning: "the inference engine is shutting down" },
  busy: { status: 503, meaning: "the request queue is full", fix: "retry after a few seconds" },
  timeout: { status: 504, meaning: "the request did not finish within its time limit" },
  cancelled: { status: 503, meaning: "the generation was cancelled (client left, stop or model switch)" },
  no_backend: { status: 503, meaning: "no backend of the chain could answer" },
  unknown_backend: { status: 404, meaning: "there is no remote backend of that name" },
  local_only: { status: 403, meaning: "routing.localOnly forbids remote backends" },
  remote_unreachable: { status: 502, meaning: "the remote backend cannot be reached" },
  remote_auth: { status: 502, meaning: "the remote backend refused our credentials" },
  remote_failed: { status: 502, meaning: "the remote backend answered with an error" },
  no_store: { status: 501, meaning: "this agent runs without a model store" },

  // Model downloads.
  download_busy: { status: 409, meaning: "another model is downloading" },
  download_aborted: { status: 400, meaning: "the download was stopped; the partial file is kept" },
  download_interrupted: { status: 502, meaning: "the download broke off; it resumes on the next try" },
  http_error: { status: 502, meaning: "the download server answered with an HTTP error" },
  sha256_mismatch: { status: 400, meaning: "the file's SHA-256 differs from the expected one" },
  no_disk: { status: 507, meaning: "not enough disk space for the file" },

  // Agent process, CLI and files.
  agent_down: {
    status: 503,
    meaning: "no agent answers at the address",
    fix: "start it with `clawbox start`",
  },
  agent_error: { status: 500, meaning: "the agent answered with an error that carries no known code" },
  agent_running: { status: 409, meaning: "an agent runs on this data directory; stop it first" },
  api_token_invalid: { status: 500, meaning: "the API token file cannot be read or holds no token" },
  invalid_usage: { status: 400, meaning: "a CLI argument or option is invalid" },
  invalid_flag: { status: 400, meaning: "a numeric flag is out of range" },
  file_error: { status: 500, meaning: "a file cannot be read or written" },
  yaml_syntax: { status: 400, meaning: "a YAML file has a syntax error" },
  yaml_invalid: { status: 400, meaning: "a YAML file does not match its schema" },
  config_invalid: { status: 400, meaning: "the config would not validate, so it is not saved" },
  config_file_unwritable: { status: 500, meaning: "a setting cannot be saved to the config file" },
  config_allow_from: { status: 400, meaning: "a setup.allowFrom entry is not an address or CIDR range" },
  port_in_use: {
    status: 500,
    meaning: "the listen port is taken",
    fix: "pass --port or stop the other program",
  },
  port_denied: { status: 500, meaning: "the process may not listen on the port (below 1024)" },
  host_unavailable: { status: 500, meaning: "the listen host is no address of this machine" },
  tls_error: { status: 500, meaning: "the TLS certificate or key cannot be used" },
  db_open_failed: { status: 500, meaning: "the SQLite database cannot be opened" },
  db_newer: { status: 500, meaning: "the database schema is newer than this agent" },
  device_key: { status: 500, meaning: "the device key cannot be read or created" },
  secret_sealed: { status: 500, meaning: "a sealed secret cannot be opened with this device's key" },
  seed_invalid: { status: 400, meaning: "the seed file does not match its schema" },
  invalid_cron: { status: 400, meaning: "a cron expression is invalid" },

  // Hardware, profiles, fleet.
  hardware_report: { status: 400, meaning: "a hardware report is not valid" },
  no_hardware: { status: 501, meaning: "hardware information is not available" },
  no_profile: { status: 400, meaning: "no device profile matches this machine" },
  profiles_invalid: { status: 500, meaning: "the device profiles cannot be read" },
  inventory: { status: 400, meaning: "the fleet inventory cannot be read" },
  fleet_limit_no_match: { status: 400, meaning: "--limit matches no host of the inventory" },
  fleet_update: { status: 400, meaning: "a fleet update file is missing" },
  no_ansible: { status: 500, meaning: "ansible-playbook is not installed" },

  // Setup, accounts, sessions, device settings.
  setup_address: { status: 403, meaning: "the setup API only answers on the local network" },
  setup_code: { status: 401, meaning: "the setup code is missing or wrong (or its file unreadable)" },
  setup_rate_limit: { status: 429, meaning: "too many wrong setup codes from one address" },
  setup_step: { status: 409, meaning: "a setup step was sent out of order" },
  setup_incomplete: { status: 409, meaning: "setup cannot finish: a required step is missing" },
  setup_finished: { status: 410, meaning: "setup is already finished" },
  no_setup_code: { status: 404, meaning: "the data directory holds no setup code" },
  invalid_device_name: { status: 400, meaning: "the device name is not a valid host name" },
  invalid_timezone: { status: 400, meaning: "the time zone is not an IANA zone name" },
  invalid_wifi_passphrase: { status: 400, meaning: "a Wi-Fi name or password has an invalid length" },
  invalid_username: { status: 400, meaning: "the user name is not valid" },
  weak_password: { status: 400, meaning: "the password is too weak; the message lists why" },
  account_exists: { status: 409, meaning: "an account of this name exists" },
  account_is_self: { status: 409, meaning: "one cannot remove the account one is logged in with" },
  last_admin: { status: 409, meaning: "the only admin account cannot be removed" },
  invalid_role: { status: 400, meaning: "the role is not admin or viewer" },
  admin_only: { status: 403, meaning: "a viewer account tried an admin action" },
  login_failed: { status: 401, meaning: "wrong user name or password" },
  login_rate_limit: { status: 429, meaning: "too many failed logins from one address" },
  login_required: { status: 401, meaning: "the dashboard needs a login session" },
  csrf_token_missing: { status: 403, meaning: "the request lacks the page's CSRF token" },
  ssh_key: { status: 400, meaning: "an SSH public key is not valid" },
  ssh_keys_full: { status: 409, meaning: "the device stores no more SSH keys" },
  system_action_failed: { status: 502, meaning: "a system action (reboot, Wi-Fi, time) failed" },

  // Backups.
  backup_no_passphrase: { status: 400, meaning: "no backup passphrase is given or set" },
  backup_passphrase: { status: 400, meaning: "the passphrase is too short or does not open the backup" },
  backup_format: { status: 400, meaning: "the file is not a clawbox backup of a readable version" },
  backup_damaged: { status: 400, meaning: "the backup fails its authentication check" },
  backup_newer: { status: 400, meaning: "the backup's database is newer than this agent" },
  backup_read: { status: 400, meaning: "the backup file cannot be read" },
  backup_unknown: { status: 404, meaning: "there is no backup of that name" },

  // Bridges, pairing, reminders.
  bridge_id: { status: 400, meaning: "a bridge id is not valid" },
  bridge_type: { status: 400, meaning: "a bridge type is unknown" },
  bridge_config: { status: 400, meaning: "a bridge's settings are invalid" },
  bridge_bad_config: { status: 400, meaning: "the platform rejects the bridge's settings" },
  bridge_secret: { status: 400, meaning: "a bridge secret is missing or cannot be opened" },
  bridge_unknown: { status: 404, meaning: "there is no bridge of that id" },
  bridge_auth: { status: 400, meaning: "the chat server refused the bridge's login" },
  bridge_bad_token: { status: 400, meaning: "the platform rejected the bridge's token or credentials" },
  bridge_missing_intent: { status: 400, meaning: "the platform app lacks a permission the bridge needs" },
  bridge_not_registered: { status: 400, meaning: "the account is not registered with the platform" },
  bridge_unreachable: { status: 502, meaning: "the platform or chat server cannot be reached" },
  bridge_listen: { status: 400, meaning: "a bridge's listen port is taken" },
  no_bridge_store: { status: 501, meaning: "this agent was started without bridge support" },
  pairing_unknown: { status: 404, meaning: "no pending pairing code of that value" },
  reminder_when: { status: 400, meaning: "the reminder's time is not understood" },
  reminder_past: { status: 400, meaning: "the reminder's time has passed" },
  reminder_text: { status: 400, meaning: "the reminder's message is empty or too long" },
  reminder_limit: { status: 400, meaning: "the chat has the maximum number of reminders" },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A code of the catalogue, e.g. "model_not_loaded". */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/**
 * The codes as constants for throw sites: `ErrorCode.MODEL_NOT_LOADED === "model_not_loaded"` (the name is
 * the code upper-cased, so the two cannot drift).
 */
export const ErrorCode = Object.fromEntries(
  Object.keys(ERROR_CATALOGUE).map((code) => [code.toUpperCase(), code]),
) as { readonly [C in ErrorCode as Uppercase<C>]: C };

/** True when `value` is a code of the catalogue (for codes read back from an HTTP answer). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CATALOGUE, value);
}
