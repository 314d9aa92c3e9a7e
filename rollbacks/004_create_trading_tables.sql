-- Rollback of 004_create_trading_tables.sql
-- Drops exactly what 004 created, dependents first.

DROP TRIGGER IF EXISTS tr_create_default_watchlist ON users;
DROP TRIGGER IF EXISTS tr_create_default_portfolio ON users;
DROP FUNCTION IF EXISTS create_default_watchlist();
DROP FUNCTION IF EXISTS create_default_portfolio();

DROP TABLE IF EXISTS watchlist_items;
DROP TABLE IF EXISTS watchlists;
DROP TABLE IF EXISTS paper_position_history;
DROP TABLE IF EXISTS paper_positions;
DROP TABLE IF EXISTS paper_portfolios;

-- after paper_positions (its trigger tr_calculate_position_pnl used it)
DROP FUNCTION IF EXISTS calculate_position_pnl();
