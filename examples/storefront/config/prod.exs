import Config

config :storefront, StorefrontWeb.Endpoint, cache_static_manifest: "priv/static/cache_manifest.json"

config :swoosh, api_client: Swoosh.ApiClient.Finch, finch_name: Storefront.Finch

config :logger, level: :info
