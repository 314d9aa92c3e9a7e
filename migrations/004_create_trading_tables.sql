-- 004_create_trading_tables.sql
-- Paper trading: paper_portfolios, paper_positions, paper_position_history,
-- watchlists, watchlist_items.
-- Functions/triggers: calculate_position_pnl() (P&L on every insert/update of
-- a position), create_default_portfolio() and create_default_watchlist()
-- (auto-create on users insert).

-- ---------------------------------------------------------------------------
-- paper_portfolios
-- ---------------------------------------------------------------------------
CREATE TABLE paper_portfolios (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(100) NOT NULL DEFAULT 'Main Portfolio',
    description TEXT,
    is_primary BOOLEAN NOT NULL DEFAULT FALSE,
    initial_balance DECIMAL(15,2) NOT NULL DEFAULT 100000.00 CHECK (initial_balance > 0),
    current_balance DECIMAL(15,2) NOT NULL DEFAULT 100000.00 CHECK (current_balance >= 0),
    buying_power DECIMAL(15,2) NOT NULL DEFAULT 100000.00 CHECK (buying_power >= 0),
    total_value DECIMAL(15,2) NOT NULL DEFAULT 100000.00 CHECK (total_value >= 0),
    total_pnl DECIMAL(15,2) NOT NULL DEFAULT 0,
    total_pnl_pct DECIMAL(10,4) NOT NULL DEFAULT 0,
    win_rate DECIMAL(5,2) NOT NULL DEFAULT 0 CHECK (win_rate BETWEEN 0 AND 100),
    total_trades INTEGER NOT NULL DEFAULT 0 CHECK (total_trades >= 0),
    winning_trades INTEGER NOT NULL DEFAULT 0 CHECK (winning_trades >= 0),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT paper_portfolios_wins_le_trades CHECK (winning_trades <= total_trades),
    -- target of paper_position_history's (portfolio_id, user_id) foreign key
    CONSTRAINT paper_portfolios_id_user_id_key UNIQUE (id, user_id)
);

CREATE INDEX idx_paper_portfolios_user_id ON paper_portfolios (user_id);
-- one primary portfolio per user
CREATE UNIQUE INDEX uq_paper_portfolios_primary ON paper_portfolios (user_id) WHERE is_primary;

CREATE TRIGGER tr_paper_portfolios_updated_at
    BEFORE UPDATE ON paper_portfolios
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- paper_positions: open positions
-- ---------------------------------------------------------------------------
CREATE TABLE paper_positions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    portfolio_id UUID NOT NULL REFERENCES paper_portfolios(id) ON DELETE CASCADE,
    symbol VARCHAR(20) NOT NULL,
    asset_type VARCHAR(20) NOT NULL DEFAULT 'stock'
        CHECK (asset_type IN ('stock', 'crypto', 'etf', 'forex', 'commodity', 'index')),
    side VARCHAR(10) NOT NULL DEFAULT 'long' CHECK (side IN ('long', 'short')),
    quantity DECIMAL(20,8) NOT NULL CHECK (quantity > 0),
    entry_price DECIMAL(20,8) NOT NULL CHECK (entry_price > 0),
    current_price DECIMAL(20,8) CHECK (current_price > 0),
    stop_loss DECIMAL(20,8) CHECK (stop_loss > 0),
    take_profit DECIMAL(20,8) CHECK (take_profit > 0),
    pnl DECIMAL(15,2) NOT NULL DEFAULT 0,
    pnl_pct DECIMAL(10,4) NOT NULL DEFAULT 0,
    notes TEXT,
    opened_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_paper_positions_portfolio_id ON paper_positions (portfolio_id);
CREATE INDEX idx_paper_positions_symbol ON paper_positions (symbol);

CREATE TRIGGER tr_paper_positions_updated_at
    BEFORE UPDATE ON paper_positions
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- P&L, recomputed on every insert and update (so it cannot be written by hand).
-- Fixes to the documented version: a position without a quote yet is valued
-- at its entry price (P&L 0) instead of getting a NULL P&L, and a non-positive
-- entry price does not divide by zero here but is left to the CHECK
-- constraint, which reports it as a check violation.
CREATE FUNCTION calculate_position_pnl()
RETURNS TRIGGER AS $$
DECLARE
    v_price DECIMAL(20,8);
BEGIN
    v_price := COALESCE(NEW.current_price, NEW.entry_price);
    IF NEW.entry_price IS NULL OR NEW.entry_price <= 0 THEN
        NEW.pnl = 0;
        NEW.pnl_pct = 0;
        RETURN NEW;
    END IF;
    IF NEW.side = 'long' THEN
        NEW.pnl = (v_price - NEW.entry_price) * NEW.quantity;
    ELSE
        NEW.pnl = (NEW.entry_price - v_price) * NEW.quantity;
    END IF;
    NEW.pnl_pct = ((v_price - NEW.entry_price) / NEW.entry_price) * 100;
    IF NEW.side = 'short' THEN NEW.pnl_pct = -NEW.pnl_pct; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tr_calculate_position_pnl
    BEFORE INSERT OR UPDATE ON paper_positions
    FOR EACH ROW EXECUTE FUNCTION calculate_position_pnl();

-- ---------------------------------------------------------------------------
-- paper_position_history: closed positions
-- user_id is denormalised for per-user stats; the composite foreign key keeps
-- it equal to the portfolio's owner.
-- ---------------------------------------------------------------------------
CREATE TABLE paper_position_history (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    portfolio_id UUID NOT NULL,
    user_id UUID NOT NULL,
    symbol VARCHAR(20) NOT NULL,
    asset_type VARCHAR(20) NOT NULL DEFAULT 'stock'
        CHECK (asset_type IN ('stock', 'crypto', 'etf', 'forex', 'commodity', 'index')),
    side VARCHAR(10) NOT NULL CHECK (side IN ('long', 'short')),
    quantity DECIMAL(20,8) NOT NULL CHECK (quantity > 0),
    entry_price DECIMAL(20,8) NOT NULL CHECK (entry_price > 0),
    exit_price DECIMAL(20,8) NOT NULL CHECK (exit_price > 0),
    pnl DECIMAL(15,2) NOT NULL,
    pnl_pct DECIMAL(10,4) NOT NULL,
    close_reason VARCHAR(20) NOT NULL DEFAULT 'manual'
        CHECK (close_reason IN ('manual', 'stop_loss', 'take_profit', 'expired', 'liquidated')),
    opened_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT paper_position_history_closed_after_opened CHECK (closed_at >= opened_at),
    CONSTRAINT paper_position_history_portfolio_fkey
        FOREIGN KEY (portfolio_id, user_id)
        REFERENCES paper_portfolios (id, user_id) ON DELETE CASCADE
);

CREATE INDEX idx_paper_position_history_portfolio ON paper_position_history (portfolio_id, closed_at DESC);
CREATE INDEX idx_paper_position_history_user_symbol ON paper_position_history (user_id, symbol);

-- ---------------------------------------------------------------------------
-- watchlists
-- ---------------------------------------------------------------------------
CREATE TABLE watchlists (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(100) NOT NULL DEFAULT 'My Watchlist',
    description TEXT,
    is_primary BOOLEAN NOT NULL DEFAULT FALSE,
    sort_order INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (user_id, name)
);

-- one primary watchlist per user
CREATE UNIQUE INDEX uq_watchlists_primary ON watchlists (user_id) WHERE is_primary;

CREATE TRIGGER tr_watchlists_updated_at
    BEFORE UPDATE ON watchlists
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- watchlist_items
-- ---------------------------------------------------------------------------
CREATE TABLE watchlist_items (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    watchlist_id UUID NOT NULL REFERENCES watchlists(id) ON DELETE CASCADE,
    symbol VARCHAR(20) NOT NULL,
    asset_type VARCHAR(20) NOT NULL DEFAULT 'stock'
        CHECK (asset_type IN ('stock', 'crypto', 'etf', 'forex', 'commodity', 'index')),
    alert_price_above DECIMAL(20,8) CHECK (alert_price_above > 0),
    alert_price_below DECIMAL(20,8) CHECK (alert_price_below > 0),
    alert_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    notes TEXT,
    sort_order INTEGER NOT NULL DEFAULT 0,
    added_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (watchlist_id, symbol),
    CONSTRAINT watchlist_items_alert_range
        CHECK (alert_price_above IS NULL OR alert_price_below IS NULL
               OR alert_price_below < alert_price_above)
);

-- alert scanner: enabled alerts by symbol
CREATE INDEX idx_watchlist_items_alerts ON watchlist_items (symbol) WHERE alert_enabled;

CREATE TRIGGER tr_watchlist_items_updated_at
    BEFORE UPDATE ON watchlist_items
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- Auto-create: users -> primary paper portfolio, primary watchlist
-- ---------------------------------------------------------------------------
CREATE FUNCTION create_default_portfolio()
RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO public.paper_portfolios (user_id, name, is_primary)
    VALUES (NEW.id, 'Main Portfolio', TRUE)
    ON CONFLICT (user_id) WHERE is_primary DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';

CREATE TRIGGER tr_create_default_portfolio
    AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION create_default_portfolio();

CREATE FUNCTION create_default_watchlist()
RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO public.watchlists (user_id, name, is_primary)
    VALUES (NEW.id, 'My Watchlist', TRUE)
    ON CONFLICT DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';

CREATE TRIGGER tr_create_default_watchlist
    AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION create_default_watchlist();

-- Users created before this migration get theirs now.
INSERT INTO paper_portfolios (user_id, name, is_primary)
SELECT u.id, 'Main Portfolio', TRUE FROM users u
ON CONFLICT (user_id) WHERE is_primary DO NOTHING;

INSERT INTO watchlists (user_id, name, is_primary)
SELECT u.id, 'My Watchlist', TRUE FROM users u
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------------
-- Row level security (policies: policies/)
-- ---------------------------------------------------------------------------
ALTER TABLE paper_portfolios ENABLE ROW LEVEL SECURITY;
ALTER TABLE paper_positions ENABLE ROW LEVEL SECURITY;
ALTER TABLE paper_position_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE watchlists ENABLE ROW LEVEL SECURITY;
ALTER TABLE watchlist_items ENABLE ROW LEVEL SECURITY;
