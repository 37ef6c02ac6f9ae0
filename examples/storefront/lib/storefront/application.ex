defmodule Storefront.Application do
  @moduledoc false

  use Application

  @impl true
  def start(_type, _args) do
    children = [
      StorefrontWeb.Telemetry,
      Storefront.Repo,
      {DNSCluster, query: Application.get_env(:storefront, :dns_cluster_query) || :ignore},
      {Phoenix.PubSub, name: Storefront.PubSub},
      {Oban, Application.fetch_env!(:storefront, Oban)},
      {Finch, name: Storefront.Finch},
      StorefrontWeb.Endpoint
    ]

    opts = [strategy: :one_for_one, name: Storefront.Supervisor]
    Supervisor.start_link(children, opts)
  end

  @impl true
  def config_change(changed, _new, removed) do
    StorefrontWeb.Endpoint.config_change(changed, removed)
    :ok
  end
end
