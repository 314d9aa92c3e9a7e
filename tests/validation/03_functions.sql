-- Function suite: calculate_level, the position P&L trigger,
-- calculate_prediction_accuracy and is_feature_enabled.

INSERT INTO users (id, email, role) VALUES
    ('00000000-0000-0000-0000-0000000000a1', 'a@validation.test', 'user'),
    ('00000000-0000-0000-0000-0000000000b2', 'b@validation.test', 'moderator');

INSERT INTO paper_positions (id, portfolio_id, symbol, side, quantity, entry_price, current_price)
SELECT v.id::uuid, pp.id, v.symbol, v.side, v.qty, v.entry, v.cur
FROM paper_portfolios pp
CROSS JOIN (VALUES
    ('00000000-0000-0000-0000-0000000000c1', 'LONG',  'long',  10, 100, 110),
    ('00000000-0000-0000-0000-0000000000c2', 'SHORT', 'short',  5, 100,  90),
    ('00000000-0000-0000-0000-0000000000c3', 'NOQT',  'long',   3, 100, NULL)
) AS v(id, symbol, side, qty, entry, cur)
WHERE pp.user_id = '00000000-0000-0000-0000-0000000000a1' AND pp.is_primary;

INSERT INTO predictions (user_id, symbol, direction, price_at_prediction, expires_at, outcome, resolved_at) VALUES
    ('00000000-0000-0000-0000-0000000000a1', 'AAPL', 'bullish', 100, now(), 'correct',   now()),
    ('00000000-0000-0000-0000-0000000000a1', 'MSFT', 'bullish', 100, now(), 'correct',   now()),
    ('00000000-0000-0000-0000-0000000000a1', 'TSLA', 'bearish', 100, now(), 'incorrect', now()),
    ('00000000-0000-0000-0000-0000000000a1', 'NVDA', 'bullish', 100, now() + interval '1 day', 'pending', NULL),
    ('00000000-0000-0000-0000-0000000000a1', 'AMD',  'bullish', 100, now(), 'expired',   now());

INSERT INTO feature_flags (id, name, is_enabled, enabled_for_roles, enabled_for_users, percentage_rollout) VALUES
    ('v_everyone',   'On for everyone',  TRUE,  '{}',          '{}', 0),
    ('v_moderators', 'Moderators only',  FALSE, '{moderator}', '{}', 0),
    ('v_user_a',     'User A only',      FALSE, '{}',          '{00000000-0000-0000-0000-0000000000a1}', 0),
    ('v_full',       'Rolled out 100%',  FALSE, '{}',          '{}', 100),
    ('v_off',        'Off',              FALSE, '{}',          '{}', 0);

-- test: level 1 at 0 XP
-- expect: value 1
SELECT calculate_level(0);

-- test: still level 1 at 99 XP
-- expect: value 1
SELECT calculate_level(99);

-- test: level 2 at 100 XP
-- expect: value 2
SELECT calculate_level(100);

-- test: level 3 at 500 XP
-- expect: value 3
SELECT calculate_level(500);

-- test: level 11 at 10000 XP
-- expect: value 11
SELECT calculate_level(10000);

-- test: negative XP is level 1, not an error
-- expect: value 1
SELECT calculate_level(-50);

-- test: NULL XP is level 1
-- expect: value 1
SELECT calculate_level(NULL);

-- test: long position P&L is (current - entry) x quantity
-- expect: value 100.00
SELECT pnl FROM paper_positions WHERE id = '00000000-0000-0000-0000-0000000000c1';

-- test: long position P&L percent
-- expect: value 10.0000
SELECT pnl_pct FROM paper_positions WHERE id = '00000000-0000-0000-0000-0000000000c1';

-- test: short position gains when the price falls
-- expect: value 50.00
SELECT pnl FROM paper_positions WHERE id = '00000000-0000-0000-0000-0000000000c2';

-- test: short position P&L percent is positive when the price falls
-- expect: value 10.0000
SELECT pnl_pct FROM paper_positions WHERE id = '00000000-0000-0000-0000-0000000000c2';

-- test: a price update recomputes the P&L
-- expect: value -50.00
UPDATE paper_positions SET current_price = 95 WHERE id = '00000000-0000-0000-0000-0000000000c1';
SELECT pnl FROM paper_positions WHERE id = '00000000-0000-0000-0000-0000000000c1';

-- test: a short squeeze shows a negative P&L percent
-- expect: value -20.0000
UPDATE paper_positions SET current_price = 120 WHERE id = '00000000-0000-0000-0000-0000000000c2';
SELECT pnl_pct FROM paper_positions WHERE id = '00000000-0000-0000-0000-0000000000c2';

-- test: a position without a quote has zero P&L, not NULL
-- expect: value 0.00
SELECT pnl FROM paper_positions WHERE id = '00000000-0000-0000-0000-0000000000c3';

-- test: P&L cannot be written by hand
-- expect: value 100.00
UPDATE paper_positions SET pnl = 999999 WHERE id = '00000000-0000-0000-0000-0000000000c1';
SELECT pnl FROM paper_positions WHERE id = '00000000-0000-0000-0000-0000000000c1';

-- test: prediction accuracy counts only correct/incorrect outcomes
-- expect: value 66.67
SELECT calculate_prediction_accuracy('00000000-0000-0000-0000-0000000000a1');

-- test: prediction accuracy is 0 without resolved predictions
-- expect: value 0
SELECT calculate_prediction_accuracy('00000000-0000-0000-0000-0000000000b2');

-- test: a globally enabled flag is on
-- expect: value t
SELECT is_feature_enabled('v_everyone', '00000000-0000-0000-0000-0000000000a1', 'user');

-- test: a role-targeted flag is on for that role
-- expect: value t
SELECT is_feature_enabled('v_moderators', '00000000-0000-0000-0000-0000000000b2', 'moderator');

-- test: a role-targeted flag is off for other roles
-- expect: value f
SELECT is_feature_enabled('v_moderators', '00000000-0000-0000-0000-0000000000a1', 'user');

-- test: a user-targeted flag is on for that user
-- expect: value t
SELECT is_feature_enabled('v_user_a', '00000000-0000-0000-0000-0000000000a1', 'user');

-- test: a 100 percent rollout is on for everyone
-- expect: value t
SELECT is_feature_enabled('v_full', '00000000-0000-0000-0000-0000000000b2', 'user');

-- test: a disabled flag without targeting is off
-- expect: value f
SELECT is_feature_enabled('v_off', '00000000-0000-0000-0000-0000000000a1', 'admin');

-- test: an unknown flag is off
-- expect: value f
SELECT is_feature_enabled('no_such_flag', '00000000-0000-0000-0000-0000000000a1', 'user');

-- test: an anonymous caller gets false, not NULL
-- expect: value f
SELECT is_feature_enabled('v_full', NULL, NULL);

-- test: a 50 percent rollout enables roughly half of 1000 users
-- expect: value t
INSERT INTO feature_flags (id, name, percentage_rollout) VALUES ('v_half', 'Half', 50);
SELECT count(*) FILTER (WHERE is_feature_enabled('v_half', gen_random_uuid(), 'user')) BETWEEN 400 AND 600
FROM generate_series(1, 1000);
