import Config

config :storefront, Storefront.Repo,
  username: "postgres",
  password: "postgres",
  hostname: "localhost",
  database: "storefront_test#{System.get_env("MIX_TEST_PARTITION")}",
  pool: Ecto.Adapters.SQL.Sandbox,
  pool_size: System.schedulers_online() * 2

config :storefront, Oban, testing: :manual

config :storefront, StorefrontWeb.Endpoint,
  http: [ip: {127, 0, 0, 1}, port: 4002],
  secret_key_base: "test-only-secret-key-base-that-is-long-enough-for-phoenix-0123456789",
  server: false

config :logger, level: :warning
