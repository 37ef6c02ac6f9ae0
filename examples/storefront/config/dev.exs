import Config

config :storefront, Storefront.Repo,
  username: "postgres",
  password: "postgres",
  hostname: "localhost",
  database: "storefront_dev",
  stacktrace: true,
  show_sensitive_data_on_connection_error: true,
  pool_size: 10

config :storefront, StorefrontWeb.Endpoint,
  http: [ip: {127, 0, 0, 1}, port: 4000],
  check_origin: false,
  code_reloader: true,
  debug_errors: true,
  secret_key_base: "dev-only-secret-key-base-that-is-long-enough-for-phoenix-0123456789"

config :phoenix, :plug_init_mode, :runtime
