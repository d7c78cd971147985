"""Proxies: one resolution rule (HTTPS_PROXY/HTTP_PROXY/ALL_PROXY/NO_PROXY) for REST and every
WebSocket, HTTP CONNECT and SOCKS5 tunnels, one-line errors, credentials never shown.

The upstream is the simulator; the proxies are the tiny local ones of tests/proxy_helpers.py,
whose counters prove what went through them. Where the exchange's host name is one only the
proxy can resolve (``*.test``), a working feed proves by itself that nothing went direct.
Proxy variables are set with monkeypatch.setenv (undone after each test; tests/conftest.py
clears any inherited ones).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import ssl
from urllib.parse import unquote, urlsplit

import orjson
import pytest
from aiohttp import web
from feed_helpers import SYMBOLS, WAIT, all_synced, assert_books_true
from proxy_helpers import HttpProxy, Socks5Proxy, closed_port, make_tls

from tuimon.cli import main
from tuimon.clock import SystemClock
from tuimon.feeds import wire
from tuimon.feeds.backoff import Backoff
from tuimon.feeds.connection import ConnectionConfig, GiveUp, StreamConnection
from tuimon.feeds.credentials import Credentials
from tuimon.feeds.market import FeedConfig, MarketFeed, Watch
from tuimon.feeds.proxy import ProxyConfigError, ProxyFailure, ProxyRules, parse_proxy
from tuimon.feeds.rest import RestClient, RestError
from tuimon.feeds.user import UserFeed
from tuimon.protocol.endpoints import Market, Route, resolve_endpoints
from tuimon.protocol.signing import HmacSigner, Secret
from tuimon.sim import SimServer
from tuimon.store import Store
from tuimon.store.account import AccountStore

USER = "us@er"
PASSWORD = "p:ss w0rd/%"
AUTH = "us%40er:p%3Ass%20w0rd%2F%25"  # the same, percent-encoded as it must be in a URL
SIM_NAME = "tuimon-sim.test"  # resolvable only by the test proxies


def secrets_in(text: str) -> list[str]:
    """Any form of the test credentials found in ``text``."""
    forms = [USER, PASSWORD, AUTH, "p%3Ass", "w0rd", base64.b64encode(f"{USER}:{PASSWORD}".encode())
             .decode()]
    return [form for form in forms if form in text]


def env_rules(monkeypatch, **variables: str) -> ProxyRules:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return ProxyRules.from_environ()


def host_of(rules: ProxyRules, url: str) -> str | None:
    proxy = rules.for_url(url)
    return None if proxy is None else proxy.host


# --------------------------------------------------------------------------- resolution


def test_scheme_specific_variables_then_all_proxy(monkeypatch):
    rules = env_rules(monkeypatch, HTTPS_PROXY="http://secure:1", HTTP_PROXY="http://plain:2",
                      ALL_PROXY="socks5://every:3")
    assert host_of(rules, "wss://stream.binance.com:9443/stream") == "secure"
    assert host_of(rules, "https://api.binance.com") == "secure"
    assert host_of(rules, "ws://127.0.0.1:9000") == "plain"
    assert host_of(rules, "http://127.0.0.1:9000") == "plain"
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.delenv("HTTP_PROXY")
    rules = ProxyRules.from_environ()
    for url in ("wss://a.example", "https://a.example", "ws://a.example", "http://a.example"):
        assert host_of(rules, url) == "every"
    monkeypatch.delenv("ALL_PROXY")
    assert ProxyRules.from_environ().for_url("wss://a.example") is None


def test_lower_case_variables_win(monkeypatch):
    rules = env_rules(monkeypatch, HTTPS_PROXY="http://upper:1", https_proxy="http://lower:2")
    assert host_of(rules, "wss://a.example") == "lower"
    rules = env_rules(monkeypatch, https_proxy="ftp://lower:2")
    with pytest.raises(ProxyConfigError, match=r"^https_proxy: unsupported"):
        rules.for_url("https://a.example")


def test_websockets_own_variables_are_not_ours(monkeypatch):
    """WSS_PROXY / SOCKS_PROXY are websockets' conventions, not curl's: ignored everywhere."""
    rules = env_rules(monkeypatch, WSS_PROXY="http://ws-only:1", SOCKS_PROXY="http://s:2")
    assert rules.for_url("wss://a.example") is None


@pytest.mark.parametrize(
    ("no_proxy", "url", "bypassed"),
    [
        ("*", "wss://stream.binance.com:9443", True),
        ("binance.com", "wss://stream.binance.com:9443", True),
        ("binance.com", "https://binance.com", True),
        (".binance.com", "https://api.binance.com", True),
        ("binance.com", "https://notbinance.com", False),
        ("other.example, binance.com", "https://api.binance.com", True),
        ("10.1.2.3", "http://10.1.2.3:9000", True),
        ("10.1.2.3", "http://10.1.2.4:9000", False),
        ("10.0.0.0/8", "http://10.9.8.7:9000", True),
        ("10.0.0.0/8", "http://11.0.0.1:9000", False),
        ("localhost:9000", "ws://localhost:9000", True),
        ("localhost:9000", "ws://localhost:9001", False),
        ("api.binance.com:443", "https://api.binance.com", True),  # the scheme's default port
    ],
)
def test_no_proxy_forms(monkeypatch, no_proxy, url, bypassed):
    rules = env_rules(monkeypatch, ALL_PROXY="http://proxy.corp:3128", NO_PROXY=no_proxy)
    assert (rules.for_url(url) is None) is bypassed


def test_lower_case_no_proxy(monkeypatch):
    rules = env_rules(monkeypatch, ALL_PROXY="http://proxy.corp:3128", no_proxy="binance.com")
    assert rules.for_url("https://api.binance.com") is None


def test_credentials_are_decoded_and_never_shown(monkeypatch):
    rules = env_rules(monkeypatch, HTTPS_PROXY=f"http://{AUTH}@proxy.corp:3128")
    proxy = rules.for_url("https://api.binance.com")
    assert proxy is not None
    assert proxy.username.reveal() == USER and proxy.password.reveal() == PASSWORD
    assert str(proxy) == "http://***@proxy.corp:3128"
    for shown in (str(proxy), repr(proxy), repr(rules), f"{proxy}"):
        assert secrets_in(shown) == [], shown
    # The URL handed to requests round-trips to the same credentials.
    parts = urlsplit(proxy.url())
    assert (unquote(parts.username), unquote(parts.password)) == (USER, PASSWORD)


@pytest.mark.parametrize(
    ("value", "scheme", "port", "remote_dns"),
    [
        ("proxy.corp:3128", "http", 3128, False),  # bare host:port is http://, as curl reads it
        ("http://proxy.corp", "http", 80, False),
        ("HTTP://proxy.corp:8080/", "http", 8080, False),
        ("socks5://proxy.corp", "socks5", 1080, False),
        ("socks5h://proxy.corp:9050", "socks5h", 9050, True),
    ],
)
def test_proxy_url_forms(value, scheme, port, remote_dns):
    proxy = parse_proxy(value, "ALL_PROXY")
    assert (proxy.scheme, proxy.host, proxy.port, proxy.remote_dns) == (
        scheme, "proxy.corp", port, remote_dns)


BAD_URLS = [
    ("ftp://proxy.corp:21",
     "HTTPS_PROXY: unsupported proxy scheme 'ftp' (use http://, socks5:// or socks5h://)"),
    ("https://proxy.corp:443", "unsupported proxy scheme 'https'"),
    ("socks4://proxy.corp:1080", "unsupported proxy scheme 'socks4'"),
    ("http://:3128", "no host"),
    ("http://user:hunter2@:3128", "no host"),
    ("http://proxy.corp:abc", "bad port"),
    ("http://user:hunter2@proxy.corp:99999", "bad port"),
    ("http://proxy.corp:0", "bad port"),
    ("http://user:hun/ter2@proxy.corp:3128", "bad port"),  # an unencoded / in the password
    ("http://proxy.corp:3128/some/path", "not 'http://proxy.corp:3128/some/path'"),
    ("http://prox y.corp:3128", "not a proxy URL"),
    ("http://user:hünter2@proxy.corp:3128", "not a proxy URL"),
]


@pytest.mark.parametrize(("value", "message"), BAD_URLS, ids=[v for v, _ in BAD_URLS])
def test_bad_proxy_urls_are_one_line_naming_the_variable(monkeypatch, value, message):
    rules = env_rules(monkeypatch, HTTPS_PROXY=value)
    with pytest.raises(ProxyConfigError) as caught:
        rules.for_url("wss://stream.binance.com:9443")
    text = str(caught.value)
    assert text.startswith("HTTPS_PROXY: ") and message in text
    assert "\n" not in text
    assert "hunter2" not in text and "hünter2" not in text and "ter2" not in text


def test_a_variable_no_url_uses_is_not_an_error(monkeypatch):
    """As with curl: HTTP_PROXY is never read for https/wss URLs, NO_PROXY skips the proxy."""
    rules = env_rules(monkeypatch, HTTP_PROXY="ftp://x", HTTPS_PROXY="gopher://y",
                      NO_PROXY="binance.com")
    assert rules.for_url("https://api.binance.com") is None
    with pytest.raises(ProxyConfigError, match="^HTTP_PROXY: "):
        rules.for_url("ws://127.0.0.1:9000")


# --------------------------------------------------------------------------- the market worker


@contextlib.asynccontextmanager
async def feed_on(sim: SimServer, host: str, symbols=SYMBOLS):
    """The real market worker, its proxy settings from the environment, the sim named ``host``."""
    base = f"{host}:{sim.port}"
    endpoints = resolve_endpoints(Market(sim.market), stream_url=f"ws://{base}",
                                  rest_url=f"http://{base}", ws_api_url=f"ws://{base}", env={})
    store = Store(sim.market, futures=sim.market != "spot")
    config = FeedConfig(connection=ConnectionConfig(give_up_after=None))
    feed = MarketFeed(store, endpoints, rest=RestClient(endpoints), config=config)
    try:
        await feed.load_symbols()
        every = frozenset(symbols)
        feed.set_watch(Watch(every, every, every, "1m"))
        yield store, feed
    finally:
        await feed.close()


@pytest.mark.parametrize("market", ["spot", "usdm"])
async def test_market_streams_and_rest_through_http_connect(monkeypatch, market):
    async with SimServer(market=market, seed=7, port=0) as sim, \
            HttpProxy(USER, PASSWORD, resolve={SIM_NAME: "127.0.0.1"}) as proxy:
        # The sim speaks ws:// and http://: HTTP_PROXY applies (HTTPS_PROXY would not).
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:1")  # wrong on purpose: unused
        monkeypatch.setenv("HTTP_PROXY", f"http://{AUTH}@{proxy.address}")
        async with feed_on(sim, SIM_NAME) as (store, _feed):
            assert await store.wait_until(all_synced(SYMBOLS), WAIT)
            assert_books_true(sim, store, SYMBOLS)
    target = f"{SIM_NAME}:{sim.port}"
    streams = [t for t in proxy.tunnels if t.kind == "CONNECT"]
    assert streams and all(t.target == target for t in streams)
    paths = {t.path.split("?")[0] for t in streams}
    if market == "usdm":  # one socket per route: /public (depth) and /market (tickers, klines)
        assert paths == {"/public/stream", "/market/stream"}
    else:
        assert paths == {"/stream"}
    rest_paths = {t.path.split("?")[0] for t in proxy.tunnels if t.kind == "GET"}
    prefix = "/api/v3" if market == "spot" else "/fapi/v1"
    assert {f"{prefix}/exchangeInfo", f"{prefix}/depth"} <= rest_paths
    assert proxy.refused == []


@pytest.mark.parametrize("scheme", ["socks5h", "socks5"])
async def test_market_streams_and_rest_through_socks5(monkeypatch, scheme):
    # socks5h: the proxy resolves the name (this machine cannot); socks5: we resolve, and
    # the proxy sees an address.
    host = SIM_NAME if scheme == "socks5h" else "127.0.0.1"
    async with SimServer(market="spot", seed=7, port=0) as sim, \
            Socks5Proxy(USER, PASSWORD, resolve={SIM_NAME: "127.0.0.1"}) as proxy:
        monkeypatch.setenv("ALL_PROXY", f"{scheme}://{AUTH}@{proxy.address}")
        async with feed_on(sim, host) as (store, _feed):
            assert await store.wait_until(all_synced(SYMBOLS), WAIT)
    kind = "socks-domain" if scheme == "socks5h" else "socks-ip"
    assert proxy.tunnels, "nothing went through the proxy"
    assert {(t.kind, t.target) for t in proxy.tunnels} == {(kind, f"{host}:{sim.port}")}
    # The stream socket (its handshake is the tunnel's first request) and REST (exchangeInfo
    # is the first call on its first connection).
    firsts = {t.path.split("?")[0] for t in proxy.tunnels}
    assert {"/stream", "/api/v3/exchangeInfo"} <= firsts
    assert proxy.refused == []


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "127.0.0.0/8", "*", "PORT"])
async def test_no_proxy_bypasses_it_for_streams_and_rest(monkeypatch, no_proxy):
    async with SimServer(market="spot", seed=7, port=0) as sim, HttpProxy() as proxy:
        monkeypatch.setenv("ALL_PROXY", f"http://{proxy.address}")
        monkeypatch.setenv("NO_PROXY", no_proxy.replace("PORT", f"127.0.0.1:{sim.port}"))
        async with feed_on(sim, "127.0.0.1") as (store, _feed):
            assert await store.wait_until(all_synced(SYMBOLS), WAIT)
    assert proxy.tunnels == [] and proxy.refused == []


# --------------------------------------------------------------------------- TLS, as in production


@contextlib.asynccontextmanager
async def tls_exchange(tmp_path, monkeypatch, hostname: str):
    """An HTTPS + WSS endpoint whose certificate names ``hostname``; trusted via the usual
    CA variables (SSL_CERT_FILE for the WebSocket, REQUESTS_CA_BUNDLE for requests)."""
    tls = make_tls(tmp_path, hostname)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.ca_file))

    async def ping(_request: web.Request) -> web.Response:
        return web.json_response({})

    async def stream(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str('{"hello":"through the tunnel"}')
        async for _msg in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/api/v3/ping", ping)
    app.router.add_get("/stream", stream)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls.cert_file, tls.key_file)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("scheme", ["http", "socks5h"])
async def test_wss_and_https_through_the_tunnel(tmp_path, monkeypatch, scheme):
    """TLS runs end to end with the exchange over the tunnel (SNI and the certificate check
    use the exchange's name, which only the proxy can resolve)."""
    name = "exchange.test"
    helper = HttpProxy if scheme == "http" else Socks5Proxy
    async with tls_exchange(tmp_path, monkeypatch, name) as port, \
            helper(USER, PASSWORD, resolve={name: "127.0.0.1"}) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"{scheme}://{AUTH}@{proxy.address}")
        rules = ProxyRules.from_environ()
        endpoints = resolve_endpoints(Market.SPOT, stream_url=f"wss://{name}:{port}",
                                      rest_url=f"https://{name}:{port}", env={})
        got: list[bytes] = []
        arrived = asyncio.Event()

        def on_message(raw: bytes) -> None:
            got.append(raw)
            arrived.set()

        url = f"{endpoints.stream_base}/stream"
        ws = await wire.connect(url, on_message, proxy=rules.for_url(url))
        try:
            await asyncio.wait_for(arrived.wait(), WAIT)
        finally:
            await ws.close()
        assert orjson.loads(got[0]) == {"hello": "through the tunnel"}
        rest = RestClient(endpoints, proxies=rules, max_attempts=1)
        assert await rest.get("ping") == {}
        # The user-data socket (websockets) over the same kind of tunnel.
        credentials = Credentials(Secret("key"), HmacSigner(Secret("secret")), "test")
        user = UserFeed(AccountStore("spot"), endpoints, credentials, proxies=rules)
        async with user._connect(url) as private_ws:
            assert orjson.loads(await private_ws.recv()) == {"hello": "through the tunnel"}
    kind = "CONNECT" if scheme == "http" else "socks-domain"
    assert {(t.kind, t.target) for t in proxy.tunnels} == {(kind, f"{name}:{port}")}
    assert len(proxy.tunnels) == 3  # the two WebSockets and the REST connection


# --------------------------------------------------------------------------- refusals, failures


def stream_connection(endpoints, proxies, reasons: list[str]) -> StreamConnection:
    connection = StreamConnection(
        "spot", endpoints, Route.NONE,
        on_frame=lambda _name, _raw: None,
        on_open=lambda _conn, _again: None,
        on_state=lambda _name, _up, reason: reasons.append(reason),
        clock=SystemClock(),
        config=ConnectionConfig(give_up_after=2, open_timeout=5.0),
        backoff=Backoff(base=0.01, cap=0.02),
        proxies=proxies,
    )
    connection.set_streams({"btcusdt@miniTicker"})
    return connection


REFUSALS = [
    ("http", 407, "407 Proxy Authentication Required"),
    ("http", 403, "403 Forbidden"),
    ("http", 502, "502 Bad Gateway"),
    ("socks5h", 2, "not allowed"),
]


@pytest.mark.parametrize(("scheme", "status", "words"), REFUSALS,
                         ids=[f"{s}-{c}" for s, c, _ in REFUSALS])
async def test_a_refused_tunnel_is_one_line_and_retried(monkeypatch, scheme, status, words):
    helper = HttpProxy if scheme == "http" else Socks5Proxy
    async with helper(USER, PASSWORD, refuse_with=status) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"{scheme}://{AUTH}@{proxy.address}")
        rules = ProxyRules.from_environ()
        # The exchange is never reached: the proxy says no first.
        endpoints = resolve_endpoints(Market.SPOT, stream_url="wss://exchange.test",
                                      rest_url="https://exchange.test", env={})
        reasons: list[str] = []
        with pytest.raises(GiveUp) as gave_up:
            await stream_connection(endpoints, rules, reasons).run()
        assert len(proxy.refused) == 2  # tried, backed off, tried again
        assert len(reasons) == 2
        for reason in reasons:
            assert reason.startswith(f"connect failed: proxy {scheme}://***@{proxy.address} ")
            assert "exchange.test:443" in reason and words in reason and "\n" not in reason
        assert "\n" not in str(gave_up.value)

        if scheme == "http":
            rest = RestClient(endpoints, proxies=rules, max_attempts=2)
            with pytest.raises(RestError) as failed:
                await rest.get("ping")
            text = str(failed.value)
            assert f"proxy http://***@{proxy.address} refused the tunnel to exchange.test" in text
            assert str(status) in text and "gave up after 2 attempts" in text
            assert "\n" not in text
            assert len(proxy.refused) == 4 and rest.stats.retries == 1
        assert secrets_in(" ".join(reasons) + str(gave_up.value)) == []


async def test_an_unreachable_proxy_is_one_line_and_retried(monkeypatch):
    port = closed_port()
    monkeypatch.setenv("HTTPS_PROXY", f"http://{AUTH}@127.0.0.1:{port}")
    rules = ProxyRules.from_environ()
    endpoints = resolve_endpoints(Market.SPOT, stream_url="wss://exchange.test",
                                  rest_url="https://exchange.test", env={})
    reasons: list[str] = []
    with pytest.raises(GiveUp):
        await stream_connection(endpoints, rules, reasons).run()
    assert len(reasons) == 2
    for reason in reasons:
        assert reason.startswith(f"connect failed: cannot reach proxy http://***@127.0.0.1:{port}")
        assert "\n" not in reason
    with pytest.raises(ProxyFailure):
        await wire.connect("wss://exchange.test/stream", lambda _raw: None,
                           proxy=rules.for_url("wss://exchange.test"))
    rest = RestClient(endpoints, proxies=rules, max_attempts=2)
    with pytest.raises(RestError) as failed:
        await rest.get("ping")
    assert str(failed.value) == (
        f"ping: cannot connect to exchange.test through proxy http://***@127.0.0.1:{port}"
        " (gave up after 2 attempts)"
    )


async def test_plain_http_407_from_the_proxy_is_retried_not_an_api_error(monkeypatch):
    """http:// URLs are forwarded, not tunnelled: the 407 is a response, still a proxy problem."""
    async with SimServer(market="spot", seed=7, port=0) as sim, \
            HttpProxy(USER, "the right one") as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://{AUTH}@{proxy.address}")
        endpoints = resolve_endpoints(Market.SPOT, rest_url=sim.rest_url, env={})
        rest = RestClient(endpoints, max_attempts=2)
        with pytest.raises(RestError) as failed:
            await rest.get("exchangeInfo")
    assert str(failed.value) == (
        f"exchangeInfo: proxy http://***@{proxy.address} refused the request to "
        f"127.0.0.1:{sim.port}: 407 (credentials) (gave up after 2 attempts)"
    )
    assert len(proxy.refused) == 2


async def test_credentials_never_reach_the_logs(monkeypatch, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    async with SimServer(market="spot", seed=7, port=0) as sim, \
            HttpProxy(USER, PASSWORD, resolve={SIM_NAME: "127.0.0.1"}) as good, \
            Socks5Proxy(USER, "not it") as bad:
        monkeypatch.setenv("HTTP_PROXY", f"http://{AUTH}@{good.address}")
        async with feed_on(sim, SIM_NAME) as (store, _feed):
            assert await store.wait_until(all_synced(SYMBOLS), WAIT)
        monkeypatch.setenv("HTTPS_PROXY", f"socks5h://{AUTH}@{bad.address}")
        endpoints = resolve_endpoints(Market.SPOT, stream_url="wss://exchange.test",
                                      rest_url="https://exchange.test", env={})
        rules = ProxyRules.from_environ()
        reasons: list[str] = []
        with pytest.raises(GiveUp):
            await stream_connection(endpoints, rules, reasons).run()
        with pytest.raises(RestError) as failed:
            await RestClient(endpoints, proxies=rules, max_attempts=2).get("ping")
    assert good.tunnels and bad.refused  # both paths really ran
    captured = capsys.readouterr()
    for text in (caplog.text, captured.out, captured.err, " ".join(reasons), str(failed.value)):
        assert secrets_in(text) == []


# --------------------------------------------------------------------------- the command line


@pytest.mark.parametrize(("value", "message"), BAD_URLS[:6], ids=[v for v, _ in BAD_URLS[:6]])
def test_bad_proxy_url_exits_2_from_snapshot(monkeypatch, capsys, value, message):
    monkeypatch.setenv("HTTPS_PROXY", value)
    with pytest.raises(SystemExit) as exited:
        main(["snapshot", "BTCUSDT", "--seconds", "1"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("tuimon snapshot: HTTPS_PROXY: ") and message in lines[0]
    assert "hunter2" not in captured.err


def test_bad_proxy_url_exits_2_from_the_monitor(monkeypatch, capsys):
    monkeypatch.setenv("ALL_PROXY", "ftp://user:hunter2@proxy.corp")
    with pytest.raises(SystemExit) as exited:
        main(["BTCUSDT"])  # stops before Textual loads: nothing is drawn
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err == ("tuimon: ALL_PROXY: unsupported proxy scheme 'ftp' "
                   "(use http://, socks5:// or socks5h://)\n")


def test_the_account_socket_is_checked_too(monkeypatch, capsys):
    """snapshot --private (spot) also uses the WebSocket API: its proxy is checked up front."""
    monkeypatch.setenv("HTTP_PROXY", "socks4://proxy.corp:1080")
    with pytest.raises(SystemExit) as exited:
        main(["snapshot", "BTCUSDT", "--private", "--ws-api-url", "ws://127.0.0.1:1"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.startswith("tuimon snapshot: HTTP_PROXY: unsupported")


def test_demo_never_uses_a_proxy(monkeypatch, capsys):
    # A proxy that would refuse everything and an unusable one: --demo must use neither.
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("HTTPS_PROXY", "ftp://nope")
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    code = main(["snapshot", "BTCUSDT", "--demo", "--seconds", "0.5", "--depth", "3"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert orjson.loads(captured.out)["books"]["BTCUSDT"]["synced"] is True

