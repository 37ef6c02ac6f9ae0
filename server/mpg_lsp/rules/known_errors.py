"""Error and log lines users paste, mapped to the likely cause and the rules that prevent them.

`mpg-lsp explain` asks ``diagnose`` about a text that names no rule. Each entry holds a pattern
for the text as Postgrex, DBConnection, PgBouncer, ecto_sql or Oban print it, the cause in a
sentence or two, what to do, and the rules (likeliest first). PgBouncer reports nearly every
error of its own as SQLSTATE 08P01, so the words after the code decide; a bare 08P01 gets the
generic entry only when no specific one matched. Sources: research/domain.md §c and
domain-round2.md (P3-4): postgrex ``error.ex`` and ``protocol.ex``, pgbouncer ``client.c``,
``objects.c``, ``proto.c``, ecto_sql ``postgres.ex``, oban ``telemetry.ex``.
"""

from __future__ import annotations

import re

from mpg_lsp.records import record


@record(frozen=True)
class KnownError:
    title: str  # what the error is, in a few words (shown as the heading)
    pattern: str  # a regular expression, matched case-insensitively anywhere in the text
    example: str  # a line as it appears in logs (the tests paste it)
    cause: str
    fix: str
    rules: tuple[str, ...] = ()  # likeliest first
    generic: bool = False  # only when nothing more specific matched
    # the rules instead, when the text's detail (lower case) is one of these
    rules_by_detail: tuple[tuple[str, tuple[str, ...]], ...] = ()
    detail_label: str | None = None  # shown with the detail ("parameter"); None: never shown


@record(frozen=True)
class Diagnosis:
    error: KnownError
    detail: str | None  # what the text adds (the parameter PgBouncer refused), when it says
    rules: tuple[str, ...]  # likeliest first, for this text


KNOWN: tuple[KnownError, ...] = (
    KnownError(
        "a prepared statement name already in use",
        r'prepared statement "?\w*"? already exists|duplicate_prepared_statement|42P05',
        "** (Postgrex.Error) ERROR 42P05 (duplicate_prepared_statement) prepared statement "
        '"ecto_123" already exists',
        "Postgrex prepared a query under a name (its default, `prepare: :named`) and the server "
        "connection PgBouncer lent for this transaction already has that name from another "
        "client: in transaction mode each transaction may run on a different server connection.",
        "Set `prepare: :unnamed` on every repo that connects through the pooler, or connect "
        "that repo over the direct URL.",
        ("MPG101", "MPG102"),
    ),
    KnownError(
        "a prepared statement missing on the server",
        r'prepared statement "?\w*"? does not exist|invalid_sql_statement_name|'
        r"(?:ERROR|FATAL):?\s+26000",
        "** (Postgrex.Error) ERROR 26000 (invalid_sql_statement_name) prepared statement "
        '"ecto_419" does not exist',
        "Postgrex prepared a query under a name on one server connection and executed it later "
        "on another one, which PgBouncer lent for this transaction and which never saw the name.",
        "Set `prepare: :unnamed` on every repo that connects through the pooler, or connect "
        "that repo over the direct URL.",
        ("MPG101", "MPG102"),
    ),
    KnownError(
        "PgBouncer's own prepared statement tracking refused a name",
        r"prepared statement name is already in use|prepared statement did not exist",
        "FATAL 08P01 (protocol_violation) prepared statement name is already in use",
        "These texts come from PgBouncer itself, when it tracks protocol-level prepared "
        "statements (`max_prepared_statements`): the client reused a statement name PgBouncer "
        "still maps, or executed one it never saw prepared.",
        "Set `prepare: :unnamed`; Fly requires it behind the MPG pooler.",
        ("MPG101", "MPG102"),
    ),
    KnownError(
        "a cached plan invalidated by a schema change",
        r"cached plan must not change result type",
        "** (Postgrex.Error) ERROR 0A000 (feature_not_supported) cached plan must not change "
        "result type",
        "A prepared statement was planned before a migration changed the table it reads; the "
        "server connection kept the old plan, and with pooling it may be another client's.",
        "Use `prepare: :unnamed` behind the pooler, so no plan outlives its query.",
        ("MPG101",),
    ),
    KnownError(
        "a startup parameter PgBouncer does not track",
        r"unsupported startup parameter(?: in options)?:?\s*(?P<detail>\w+)?",
        "FATAL 08P01 (protocol_violation) unsupported startup parameter: search_path",
        "Postgrex sent a run-time parameter in the login packet (`parameters:`, or "
        "`search_path:` from Postgrex 0.20 on) and PgBouncer refuses any it does not track: "
        "only application_name, client_encoding, DateStyle, IntervalStyle, TimeZone and "
        "standard_conforming_strings pass. The connection never logs in.",
        "Remove the parameter from the repo's options: for `search_path` use `@schema_prefix`, "
        "the `:prefix` option or schema-qualified names; set others with `SET LOCAL` inside a "
        "transaction, or on the database role.",
        ("MPG110", "MPG106"),
        detail_label="parameter",
    ),
    KnownError(
        "too many client connections for the pooler",
        r"no more connections allowed|max_client_conn",
        "FATAL 08P01 (protocol_violation) no more connections allowed (max_client_conn)",
        "PgBouncer already holds as many client connections as the plan allows (200 on "
        "Basic/Starter, 500 on Launch, 1000 on Scale/Performance). Every Machine opens "
        "`pool_size` × `pool_count` connections per repo, plus the release command's and any "
        "Oban notifier's.",
        "Lower `pool_size`, run fewer Machines per process group, or move to a larger plan; "
        "MPG309 shows the arithmetic for your config.",
        ("MPG309",),
    ),
    KnownError(
        "too many connections to Postgres itself",
        r"too many connections for role|remaining connection slots are reserved|"
        r"too many clients already|sorry, too many clients",
        "FATAL 53300 (too_many_connections) remaining connection slots are reserved for roles "
        "with the SUPERUSER attribute",
        "The database's own connection limit is used up: direct connections (which bypass "
        "PgBouncer) and the pooler's server connections share it (50 database connections on "
        "Basic/Starter).",
        "Keep pools on the direct URL small and count every Machine; in session mode each "
        "client connection pins a server connection, so use transaction mode.",
        ("MPG309", "MPG108"),
    ),
    KnownError(
        "a client waited too long for a server connection",
        r"query_wait_timeout",
        "FATAL 08P01 (protocol_violation) query_wait_timeout",
        "PgBouncer had no free server connection for this client within `query_wait_timeout`. "
        "In session mode each client connection keeps a server connection for as long as it "
        "lives (50 on Basic), so a few pools use them all; in transaction mode, long "
        "transactions or too small a server pool do the same.",
        "Check the cluster's pool mode (Ecto wants transaction mode), shorten long "
        "transactions, and size pools for the plan.",
        ("MPG309",),
    ),
    KnownError(
        "the pooler restarting",
        r"pooler is shutting down|server shutting down|admin_shutdown|"
        r"terminating connection due to administrator command",
        "FATAL 08P01 (protocol_violation) pooler is shutting down",
        "PgBouncer is restarting: a change of pool mode, maintenance or a restart of the "
        "cluster. Fly's proxy drains connections within 10 minutes and then cuts the rest; "
        "connections that live forever are the ones cut.",
        "Transient; Ecto reconnects. Set `max_lifetime: 480_000..540_000` (db_connection "
        "2.10.1+) so connections retire before the drain ends.",
        ("MPG111",),
    ),
    KnownError(
        "PgBouncer cannot log in to Postgres",
        r"server login has been failing|client_login_timeout",
        "FATAL 08P01 (protocol_violation) server login has been failing, try again later "
        "(server_login_retry)",
        "PgBouncer's own login to the database failed, so it turns clients away for a while: "
        "the database is down or restarting, or the credentials the pooler uses changed. "
        "Nothing in the app's config causes this.",
        "Check the cluster's status (`fly mpg status`) and wait for it to recover; if it "
        "persists, contact Fly support.",
    ),
    KnownError(
        "a database host name that does not resolve",
        r"nxdomain|non-existing domain",
        "** (DBConnection.ConnectionError) tcp connect (pgbouncer.x.flympg.net:5432): "
        "non-existing domain - :nxdomain",
        "Erlang looked the host up over IPv4, and Fly's private network (with *.flympg.net) "
        "answers over IPv6: Ecto needs `socket_options: [:inet6]`. (The reverse also happens: "
        "`:inet6` forced onto an IPv4-only database outside Fly.)",
        "Add `socket_options: [:inet6]` (or the generator's `maybe_ipv6` with "
        '`ECTO_IPV6="true"`) to the repo.',
        ("MPG104", "MPG305"),
    ),
    KnownError(
        "an advisory lock released on the wrong connection",
        r"failed to release advisory lock|migration lock occupied",
        "** (RuntimeError) failed to release advisory lock",
        "Migrations took a session-level advisory lock (`migration_lock: :pg_advisory_lock`) "
        "through PgBouncer in transaction mode: the unlock ran on another server connection, "
        "and the lock may stay held on the first one.",
        "Run migrations over the direct URL (release_command with "
        "`DATABASE_URL=$DIRECT_DATABASE_URL`), or use `migration_lock: :table_lock`.",
        ("MPG105", "MPG301", "MPG306"),
    ),
    KnownError(
        "an idle connection closed under the pool",
        r"tcp recv(?: \(idle\))?: (?:closed|timeout)|ssl recv(?: \(idle\))?: (?:closed|timeout)|"
        r"econnreset|connection reset by peer",
        "Postgrex.Protocol (#PID<0.2911.0>) disconnected: ** (DBConnection.ConnectionError) "
        "tcp recv (idle): closed",
        "The proxy or PgBouncer closed a connection the pool kept open: usually a restart of "
        "the pooler, whose drain ends after 10 minutes. Transient: the pool reconnects.",
        "Set `max_lifetime: 480_000..540_000` (db_connection 2.10.1+). Postgrex 0.22+ also "
        "retries a query whose connection turns out to be closed.",
        ("MPG111",),
    ),
    KnownError(
        "a URL parameter that reached Postgrex as a string",
        r'CaseClauseError.*?(?:no case clause matching:?\s*)?"(?P<detail>[^"\s]{1,40})"|'
        r'no case clause matching:?\s*"(?P<detail2>[^"\s]{1,40})"',
        '** (CaseClauseError) no case clause matching: "unnamed"',
        "A parameter in the database URL's query string (`?prepare=unnamed`, `?ssl=require`) "
        "becomes a string option that overrides the keyword list, and Postgrex's `case` on it "
        "has no clause for a string: every connection attempt crashes.",
        "Remove the parameter from the URL and set the keyword option instead "
        "(`prepare: :unnamed`, `ssl: true`).",
        ("MPG109", "MPG103"),
        rules_by_detail=(("unnamed", ("MPG103",)), ("named", ("MPG103",))),
    ),
    KnownError(
        "Oban's notifier hears nothing",
        r"notifier can't receive messages|notifier.*isolated|job staging switched to local mode",
        "notifier can't receive messages from any nodes, functionality degraded",
        "Oban's Postgres notifier LISTENs through PgBouncer in transaction mode, which never "
        "delivers notifications: queues fall back to polling every second.",
        "Use `notifier: Oban.Notifiers.PG` (or the Phoenix notifier), or run Oban on a repo "
        "that reads the direct URL.",
        ("MPG201", "MPG203"),
    ),
    KnownError(
        "Oban's notifier hears only its own node",
        r"only receiving messages from its own node|solitary",
        "notifier only receiving messages from its own node, functionality may be degraded",
        "The PG or Phoenix notifier carries messages over distributed Erlang, and this node is "
        "in no cluster: normal with one Machine, a clustering gap with more.",
        "Cluster the Machines (DNSCluster with `DNS_CLUSTER_QUERY`, `RELEASE_DISTRIBUTION` and "
        "`ERL_AFLAGS` in rel/env.sh.eex).",
        ("MPG210",),
    ),
    KnownError(
        "a deprecated Oban plugin",
        r"(?P<detail>Repeater|Gossip) is deprecated",
        "Repeater is deprecated. Stager automatically forces polling when notifications aren't "
        "available. You can safely remove the Repeater from your plugins.",
        "The Repeater (Oban 2.14+) and Gossip (Oban 2.17+) plugins are stubs that only log "
        "this warning.",
        "Remove the plugin from `plugins:`.",
        ("MPG202", "MPG211"),
        rules_by_detail=(("repeater", ("MPG202",)), ("gossip", ("MPG211",))),
        detail_label="plugin",
    ),
    KnownError(
        "PgBouncer's generic error code",
        r"08P01|protocol_violation",
        "FATAL 08P01 (protocol_violation)",
        "PgBouncer reports almost every error of its own as SQLSTATE 08P01: the words after it "
        "say which (an unsupported startup parameter, too many clients, a shutdown, a login "
        "failure). Fly's docs tie it to prepared statements, which is one case among several.",
        "Paste the whole line, with the text after the code; meanwhile check `prepare: "
        ":unnamed` (MPG101) and startup parameters (MPG110).",
        ("MPG101", "MPG110"),
        generic=True,
    ),
)


def diagnose(text: str) -> list[Diagnosis]:
    """What ``text`` (an error or log line, or several) is known to mean, best match first."""
    found: list[Diagnosis] = []
    for known in KNOWN:
        m = re.search(known.pattern, text, re.IGNORECASE)
        if m is None:
            continue
        groups = {k: v for k, v in m.groupdict().items() if v}
        detail = groups.get("detail") or groups.get("detail2")
        rules = dict(known.rules_by_detail).get((detail or "").lower(), known.rules)
        found.append(Diagnosis(known, detail, rules))
    specific = [d for d in found if not d.error.generic]
    return specific or found
