"""``build_app``: the one way to make the monitor, used by the launcher and by every test."""

from __future__ import annotations

from tuimon.clock import Clock, SystemClock
from tuimon.config import Settings
from tuimon.feeds.session import MarketSession, Sessions
from tuimon.store import Store
from tuimon.ui.app import FeedLike, TuimonApp, UserFeedLike
from tuimon.ui.logbridge import CapturedLog


def build_app(
    settings: Settings,
    *,
    store: Store,
    feed: FeedLike | None = None,
    clock: Clock | None = None,
    live: bool = True,
    rest_base: str = "",
    log_capture: CapturedLog | None = None,
    user_feed: UserFeedLike | None = None,
    sessions: Sessions | None = None,
    session: MarketSession | None = None,
) -> TuimonApp:
    """The monitor app over a Store.

    Args:
        settings: command line merged with the config file.
        store: the shared market state; tests fill it through the store's own mutators.
        feed: the market worker, started inside the app when ``live``; None for tests.
        clock: time source for flashes, ages and the health bar; ``FrozenClock`` in tests.
        live: start the feed and the frame timer. False for snapshots: the timer is created
            paused and the test calls ``app.flush_frame()`` itself.
        rest_base: shown in start-up messages ("loading symbols from ...").
        log_capture: where log records go while the UI owns the terminal; the health bar
            shows the latest warning.
        user_feed: the user-data worker (API keys configured), started with the market feed
            when ``live`` and closed on quit; it writes ``store.account`` only. None: the
            account pane shows ``store.account`` as it is (tests seed it directly).
        sessions: opens another market's workers when the user switches market (``m``);
            None: the run has one market.
        session: the running market's workers (its feed and user feed are ``feed`` and
            ``user_feed``); the app closes it on a switch and on quit.
    """
    clock = clock or store.clock or SystemClock()
    app = TuimonApp(
        settings,
        store=store,
        feed=feed,
        clock=clock,
        live=live,
        rest_base=rest_base,
        log_capture=log_capture,
        user_feed=user_feed,
        sessions=sessions,
        session=session,
    )
    if not live:
        app.animation_level = "none"
    return app
