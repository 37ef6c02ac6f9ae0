; Supervision children that name a PubSub or start Oban, in lib/**/application.ex.
(tuple . (alias) @pubsub (#eq? @pubsub "Phoenix.PubSub") . (keywords) @options)
(tuple . (alias) @oban (#eq? @oban "Oban") . (_) @options)
