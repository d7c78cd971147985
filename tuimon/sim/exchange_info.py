"""exchangeInfo bodies per market, shaped like the recorded responses (reference §7).

Symbol entries are static, so they are built once per server; only ``serverTime`` changes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tuimon.sim.fmt import decimals_of
from tuimon.sim.markets import MarketConfig, SymbolSpec


def _max_price(spec: SymbolSpec) -> str:
    top = (Decimal(spec.price) * 1000).quantize(Decimal(spec.tick_size))
    return f"{top:.{decimals_of(spec.tick_size)}f}"


def _spot_symbol(spec: SymbolSpec) -> dict[str, Any]:
    return {
        "symbol": spec.symbol, "status": "TRADING", "baseAsset": spec.base,
        "baseAssetPrecision": 8, "quoteAsset": spec.quote, "quotePrecision": 8,
        "quoteAssetPrecision": 8, "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT",
                       "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True, "allowTrailingStop": True,
        "cancelReplaceAllowed": True, "amendAllowed": True, "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": True,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": spec.tick_size,
             "maxPrice": _max_price(spec), "tickSize": spec.tick_size},
            {"filterType": "LOT_SIZE", "minQty": spec.step_size, "maxQty": "9000000.00000000",
             "stepSize": spec.step_size},
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000",
             "maxQty": "100000.00000000", "stepSize": "0.00000000"},
            {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10,
             "maxTrailingAboveDelta": 2000, "minTrailingBelowDelta": 10,
             "maxTrailingBelowDelta": 2000},
            {"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "5",
             "bidMultiplierDown": "0.2", "askMultiplierUp": "5", "askMultiplierDown": "0.2",
             "avgPriceMins": 5},
            {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": True,
             "maxNotional": "9000000.00000000", "applyMaxToMarket": False, "avgPriceMins": 5},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        ],
        "permissions": [], "permissionSets": [["SPOT", "MARGIN"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def _futures_filters(spec: SymbolSpec) -> list[dict[str, Any]]:
    return [
        {"minPrice": spec.tick_size, "maxPrice": _max_price(spec), "filterType": "PRICE_FILTER",
         "tickSize": spec.tick_size},
        {"stepSize": spec.step_size, "filterType": "LOT_SIZE", "maxQty": "1000000",
         "minQty": spec.step_size},
        {"stepSize": spec.step_size, "filterType": "MARKET_LOT_SIZE", "maxQty": "100000",
         "minQty": spec.step_size},
        {"limit": 200, "filterType": "MAX_NUM_ORDERS"},
        {"limit": 10, "filterType": "MAX_NUM_ALGO_ORDERS"},
        {"notional": "5", "filterType": "MIN_NOTIONAL"},
        {"multiplierDown": "0.9500", "multiplierUp": "1.0500", "multiplierDecimal": "4",
         "filterType": "PERCENT_PRICE"},
    ]


_FUT_ORDER_TYPES = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT",
                    "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"]
_FUT_TIF = ["GTC", "IOC", "FOK", "GTX", "GTD"]


def _usdm_symbol(spec: SymbolSpec) -> dict[str, Any]:
    return {
        "symbol": spec.symbol, "pair": spec.symbol, "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000, "onboardDate": 1569398400000, "status": "TRADING",
        "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000",
        "baseAsset": spec.base, "quoteAsset": spec.quote, "marginAsset": spec.quote,
        "pricePrecision": decimals_of(spec.tick_size),
        "quantityPrecision": decimals_of(spec.step_size), "baseAssetPrecision": 8,
        "quotePrecision": 8, "underlyingType": "COIN", "underlyingSubType": [], "settlePlan": 0,
        "triggerProtect": "0.0500", "liquidationFee": "0.012500", "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000, "filters": _futures_filters(spec),
        "orderTypes": _FUT_ORDER_TYPES, "timeInForce": _FUT_TIF, "permissionSets": ["GRID",
                                                                                     "COPY"],
    }


def _coinm_symbol(spec: SymbolSpec) -> dict[str, Any]:
    return {
        "symbol": spec.symbol, "pair": spec.pair, "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000, "onboardDate": 1597042800000,
        "contractStatus": "TRADING", "contractSize": spec.contract_size,
        "marginAsset": spec.base, "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000", "baseAsset": spec.base, "quoteAsset": spec.quote,
        "pricePrecision": decimals_of(spec.tick_size), "quantityPrecision": 0,
        "baseAssetPrecision": 8, "quotePrecision": 8, "equalQtyPrecision": 4,
        "maxMoveOrderLimit": 10000, "triggerProtect": "0.0500", "underlyingType": "COIN",
        "underlyingSubType": [], "filters": _futures_filters(spec),
        "orderTypes": _FUT_ORDER_TYPES, "timeInForce": _FUT_TIF, "liquidationFee": "0.010000",
        "marketTakeBound": "0.05",
    }


def rate_limits(cfg: MarketConfig, weight_limit: int) -> list[dict[str, Any]]:
    rl: list[dict[str, Any]] = [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                                 "intervalNum": 1, "limit": weight_limit}]
    if cfg.futures:
        rl += [{"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
               {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
                "limit": 300}]
    else:
        rl += [{"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
               {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1,
                "limit": 200000},
               {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5,
                "limit": 61000}]
    return rl




SYMBOL_BUILDERS = {"spot": _spot_symbol, "usdm": _usdm_symbol, "coinm": _coinm_symbol}


def symbol_entry(cfg: MarketConfig, spec: SymbolSpec) -> dict[str, Any]:
    return SYMBOL_BUILDERS[cfg.name](spec)
