# This file is responsible for configuring your application
# and its dependencies with the aid of the Config module.
import Config

config :storefront,
  ecto_repos: [Storefront.Repo],
  generators: [timestamp_type: :utc_datetime]

# Configures the endpoint
config :storefront, StorefrontWeb.Endpoint,
  url: [host: "localhost"],
  adapter: Bandit.PhoenixAdapter,
  render_errors: [
    formats: [html: StorefrontWeb.ErrorHTML, json: StorefrontWeb.ErrorJSON],
    layout: false
  ],
  pubsub_server: Storefront.PubSub,
  live_view: [signing_salt: "kq3Yx0Vb"]

config :storefront, Oban,
  engine: Oban.Engines.Basic,
  repo: Storefront.Repo,
  queues: [default: 10, mailers: 20, webhooks: 5],
  plugins: [
    {Oban.Plugins.Pruner, max_age: 60 * 60 * 24 * 7},
    {Oban.Plugins.Cron, crontab: [{"0 3 * * *", Storefront.Workers.NightlyReport}]}
  ]

config :storefront, Storefront.Mailer, adapter: Swoosh.Adapters.Local

config :logger, :console,
  format: "$time $metadata[$level] $message\n",
  metadata: [:request_id]

config :phoenix, :json_library, Jason

# Import environment specific config. This must remain at the bottom
# of this file so it overrides the configuration defined above.
import_config "#{config_env()}.exs"
