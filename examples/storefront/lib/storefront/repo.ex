defmodule Storefront.Repo do
  use Ecto.Repo,
    otp_app: :storefront,
    adapter: Ecto.Adapters.Postgres
end
