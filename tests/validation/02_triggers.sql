-- Trigger suite: the auto-create triggers (users -> profile, settings, stats,
-- primary portfolio, primary watchlist; tribes -> tribe_stats) and the
-- updated_at triggers.
-- updated_at: the whole file runs in one transaction, where now() does not
-- move, so rows are inserted with an old updated_at (BEFORE UPDATE triggers
-- do not fire on INSERT) and a test checks that an UPDATE replaced it.

INSERT INTO users (id, email, display_name, created_at, updated_at) VALUES
    ('00000000-0000-0000-0000-0000000000a1', 'a@validation.test', 'User A', '1999-01-01', '1999-01-01');

INSERT INTO tribes (id, slug, name, created_by) VALUES
    ('00000000-0000-0000-0000-0000000000f1', 'validation-tribe', 'Validation Tribe',
     '00000000-0000-0000-0000-0000000000a1');

INSERT INTO watchlists (id, user_id, name, updated_at) VALUES
    ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1', 'Old List', '1999-01-01');

INSERT INTO paper_positions (id, portfolio_id, symbol, quantity, entry_price, current_price, updated_at)
SELECT '00000000-0000-0000-0000-0000000000c2', id, 'AAPL', 1, 100, 100, '1999-01-01'
FROM paper_portfolios WHERE user_id = '00000000-0000-0000-0000-0000000000a1' AND is_primary;

UPDATE user_settings SET updated_at = '1999-01-01'
WHERE user_id = '00000000-0000-0000-0000-0000000000a1';

-- test: inserting a user creates their profile
-- expect: value 1
SELECT count(*) FROM user_profiles WHERE user_id = '00000000-0000-0000-0000-0000000000a1';

-- test: the auto-created profile starts at level 1 with no XP
-- expect: value 1
SELECT level + total_xp FROM user_profiles WHERE user_id = '00000000-0000-0000-0000-0000000000a1';

-- test: inserting a user creates their settings
-- expect: value 1
SELECT count(*) FROM user_settings WHERE user_id = '00000000-0000-0000-0000-0000000000a1';

-- test: inserting a user creates their stats
-- expect: value 1
SELECT count(*) FROM user_stats WHERE user_id = '00000000-0000-0000-0000-0000000000a1';

-- test: inserting a user creates a primary portfolio with the default balance
-- expect: value t
SELECT name = 'Main Portfolio' AND current_balance = 100000 FROM paper_portfolios
WHERE user_id = '00000000-0000-0000-0000-0000000000a1' AND is_primary;

-- test: inserting a user creates a primary watchlist
-- expect: value t
SELECT name = 'My Watchlist' FROM watchlists WHERE user_id = '00000000-0000-0000-0000-0000000000a1' AND is_primary;

-- test: inserting a tribe creates its stats row
-- expect: value 0
SELECT member_count FROM tribe_stats WHERE tribe_id = '00000000-0000-0000-0000-0000000000f1';

-- test: a new user gets all five companion rows at once
-- expect: value 5
INSERT INTO users (id, email) VALUES ('00000000-0000-0000-0000-0000000000b2', 'b@validation.test');
SELECT (SELECT count(*) FROM user_profiles    WHERE user_id = '00000000-0000-0000-0000-0000000000b2')
     + (SELECT count(*) FROM user_settings    WHERE user_id = '00000000-0000-0000-0000-0000000000b2')
     + (SELECT count(*) FROM user_stats       WHERE user_id = '00000000-0000-0000-0000-0000000000b2')
     + (SELECT count(*) FROM paper_portfolios WHERE user_id = '00000000-0000-0000-0000-0000000000b2')
     + (SELECT count(*) FROM watchlists       WHERE user_id = '00000000-0000-0000-0000-0000000000b2');

-- test: a user signing up through the API (RLS applies) still gets a profile
-- as: authenticated 00000000-0000-0000-0000-0000000000b3
-- expect: value 1
INSERT INTO users (id, email) VALUES ('00000000-0000-0000-0000-0000000000b3', 'b3@validation.test');
SELECT count(*) FROM user_profiles WHERE user_id = '00000000-0000-0000-0000-0000000000b3';

-- test: without an update, updated_at keeps the inserted value
-- expect: value f
SELECT updated_at > '2000-01-01' FROM users WHERE id = '00000000-0000-0000-0000-0000000000a1';

-- test: updating a user bumps updated_at
-- expect: value t
UPDATE users SET display_name = 'User A2' WHERE id = '00000000-0000-0000-0000-0000000000a1';
SELECT updated_at > '2000-01-01' FROM users WHERE id = '00000000-0000-0000-0000-0000000000a1';

-- test: updating a user leaves created_at alone
-- expect: value t
UPDATE users SET display_name = 'User A3' WHERE id = '00000000-0000-0000-0000-0000000000a1';
SELECT created_at = '1999-01-01' FROM users WHERE id = '00000000-0000-0000-0000-0000000000a1';

-- test: updated_at cannot be backdated by hand
-- expect: value t
UPDATE users SET updated_at = '1990-01-01' WHERE id = '00000000-0000-0000-0000-0000000000a1';
SELECT updated_at > '2000-01-01' FROM users WHERE id = '00000000-0000-0000-0000-0000000000a1';

-- test: updating a watchlist bumps updated_at
-- expect: value t
UPDATE watchlists SET name = 'Renamed' WHERE id = '00000000-0000-0000-0000-0000000000c1';
SELECT updated_at > '2000-01-01' FROM watchlists WHERE id = '00000000-0000-0000-0000-0000000000c1';

-- test: updating a position bumps updated_at
-- expect: value t
UPDATE paper_positions SET current_price = 101 WHERE id = '00000000-0000-0000-0000-0000000000c2';
SELECT updated_at > '2000-01-01' FROM paper_positions WHERE id = '00000000-0000-0000-0000-0000000000c2';

-- test: updating settings bumps updated_at
-- expect: value t
UPDATE user_settings SET theme = 'light' WHERE user_id = '00000000-0000-0000-0000-0000000000a1';
SELECT updated_at > '2000-01-01' FROM user_settings WHERE user_id = '00000000-0000-0000-0000-0000000000a1';

-- test: every table with an updated_at column has an updated_at trigger
-- expect: value 0
SELECT count(*) FROM information_schema.columns c
WHERE c.table_schema = 'public' AND c.column_name = 'updated_at'
  AND NOT EXISTS (SELECT 1 FROM pg_trigger t
                  WHERE t.tgrelid = format('public.%I', c.table_name)::regclass
                    AND t.tgfoid = 'public.update_updated_at()'::regprocedure);
