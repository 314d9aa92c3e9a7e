-- 001_seed_data.sql - development seed data for 1MarketPulse.
-- Development only (strata refuses `seed` on protected environments).
-- Runs after all migrations and policies, as a superuser, in one transaction
-- with the CSV seeds (002_paper_positions.csv, 003_watchlist_items.csv, which
-- use the fixed portfolio and watchlist ids created here).
--
-- Demo accounts (password "marketpulse-dev" in auth.users):
--   alice  10000000-0000-4000-8000-000000000001  user
--   bob    10000000-0000-4000-8000-000000000002  user
--   carol  10000000-0000-4000-8000-000000000003  admin
--   dave   10000000-0000-4000-8000-000000000004  moderator, mentor
-- Inserting into users fires the auto-create triggers: each gets a profile,
-- settings, stats, a primary "Main Portfolio" and a primary "My Watchlist".

-- ---------------------------------------------------------------------------
-- Auth accounts (Supabase GoTrue; the strata shim provides the same table)
-- ---------------------------------------------------------------------------
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password,
                        email_confirmed_at, raw_app_meta_data, raw_user_meta_data,
                        created_at, updated_at)
VALUES
    ('00000000-0000-0000-0000-000000000000', '10000000-0000-4000-8000-000000000001',
     'authenticated', 'authenticated', 'alice@marketpulse.dev',
     crypt('marketpulse-dev', gen_salt('bf', 6)), now(),
     '{"provider":"email","providers":["email"]}', '{"display_name":"Alice"}', now(), now()),
    ('00000000-0000-0000-0000-000000000000', '10000000-0000-4000-8000-000000000002',
     'authenticated', 'authenticated', 'bob@marketpulse.dev',
     crypt('marketpulse-dev', gen_salt('bf', 6)), now(),
     '{"provider":"email","providers":["email"]}', '{"display_name":"Bob"}', now(), now()),
    ('00000000-0000-0000-0000-000000000000', '10000000-0000-4000-8000-000000000003',
     'authenticated', 'authenticated', 'carol@marketpulse.dev',
     crypt('marketpulse-dev', gen_salt('bf', 6)), now(),
     '{"provider":"email","providers":["email"]}', '{"display_name":"Carol"}', now(), now()),
    ('00000000-0000-0000-0000-000000000000', '10000000-0000-4000-8000-000000000004',
     'authenticated', 'authenticated', 'dave@marketpulse.dev',
     crypt('marketpulse-dev', gen_salt('bf', 6)), now(),
     '{"provider":"email","providers":["email"]}', '{"display_name":"Dave"}', now(), now())
ON CONFLICT (id) DO NOTHING;

-- ---------------------------------------------------------------------------
-- Users (same ids as auth.users)
-- ---------------------------------------------------------------------------
INSERT INTO users (id, email, role, display_name, avatar_emoji, bio, is_verified, last_login_at) VALUES
    ('10000000-0000-4000-8000-000000000001', 'alice@marketpulse.dev', 'user',      'Alice', '🦊', 'Learning technical analysis.', TRUE, now() - interval '2 hours'),
    ('10000000-0000-4000-8000-000000000002', 'bob@marketpulse.dev',   'user',      'Bob',   '🐻', 'Crypto first, questions later.', TRUE, now() - interval '1 day'),
    ('10000000-0000-4000-8000-000000000003', 'carol@marketpulse.dev', 'admin',     'Carol', '🛠️', 'Platform admin.', TRUE, now() - interval '10 minutes'),
    ('10000000-0000-4000-8000-000000000004', 'dave@marketpulse.dev',  'moderator', 'Dave',  '🦉', 'Ex-prop trader, mentor.', TRUE, now() - interval '3 hours');

-- Profiles were auto-created; fill them in (level follows calculate_level).
UPDATE user_profiles p SET
    total_xp = v.xp,
    level = calculate_level(v.xp),
    current_streak = v.streak,
    longest_streak = v.longest,
    streak_last_date = CURRENT_DATE,
    title = v.title,
    timezone = v.tz,
    country_code = v.cc,
    trading_experience = v.exp,
    risk_tolerance = v.risk,
    preferred_assets = v.assets,
    onboarding_completed = TRUE,
    onboarding_step = 5
FROM (VALUES
    ('10000000-0000-4000-8000-000000000001'::uuid, 1250,  6, 14, 'Chart Reader',  'Europe/Berlin',    'DE', 'intermediate', 'moderate',     ARRAY['stock','etf']),
    ('10000000-0000-4000-8000-000000000002'::uuid,  420,  2,  5, 'Apprentice',    'America/New_York', 'US', 'beginner',     'aggressive',   ARRAY['crypto']),
    ('10000000-0000-4000-8000-000000000003'::uuid,  100,  0,  1, 'Newcomer',      'UTC',              'GB', 'advanced',     'conservative', ARRAY['stock']),
    ('10000000-0000-4000-8000-000000000004'::uuid, 9800, 30, 61, 'Market Sage',   'Asia/Singapore',   'SG', 'expert',       'moderate',     ARRAY['stock','forex','commodity'])
) AS v(user_id, xp, streak, longest, title, tz, cc, exp, risk, assets)
WHERE p.user_id = v.user_id;

UPDATE user_settings SET theme = 'light', decimal_places = 4, push_notifications = TRUE
WHERE user_id = '10000000-0000-4000-8000-000000000002';

INSERT INTO sessions (user_id, token_hash, user_agent, ip_address, device_type, expires_at) VALUES
    ('10000000-0000-4000-8000-000000000001', encode(digest('dev-session-alice', 'sha256'), 'hex'), 'Mozilla/5.0 (Macintosh)', '192.0.2.10',  'desktop', now() + interval '7 days'),
    ('10000000-0000-4000-8000-000000000002', encode(digest('dev-session-bob',   'sha256'), 'hex'), 'Mozilla/5.0 (iPhone)',    '192.0.2.20',  'mobile',  now() + interval '7 days'),
    ('10000000-0000-4000-8000-000000000003', encode(digest('dev-session-carol', 'sha256'), 'hex'), 'Mozilla/5.0 (X11)',       '198.51.100.5','desktop', now() + interval '1 day');

-- ---------------------------------------------------------------------------
-- Learning content
-- ---------------------------------------------------------------------------
INSERT INTO skill_nodes (id, name, description, category, layer, xp_required, prerequisites, unlocks, icon, sort_order) VALUES
    ('market-basics',    'Market Basics',    'What a stock, an index and an order are.',         'fundamentals', 1, 100, '{}',                                 '{candlesticks,basic-patterns}', '📈', 1),
    ('candlesticks',     'Candlesticks',     'Reading OHLC candles.',                            'technical',    2, 200, '{market-basics}',                    '{basic-patterns}',             '🕯️', 1),
    ('basic-patterns',   'Basic Patterns',   'Support, resistance, trends.',                     'technical',    3, 300, '{market-basics,candlesticks}',       '{risk-management}',            '🔍', 1),
    ('macro-indicators', 'Macro Indicators', 'CPI, rates, employment and why markets care.',     'macro',        2, 250, '{market-basics}',                    '{}',                           '🌍', 2),
    ('crypto-101',       'Crypto 101',       'Blockchains, exchanges, custody.',                 'crypto',       2, 200, '{market-basics}',                    '{}',                           '🪙', 3),
    ('risk-management',  'Risk Management',  'Position sizing, stop losses, drawdowns.',         'technical',    4, 400, '{basic-patterns}',                   '{}',                           '🛡️', 1);

INSERT INTO vocabulary_terms (id, term, definition, example, category, difficulty, related_terms) VALUES
    ('20000000-0000-4000-8000-000000000001', 'Bull Market', 'A market in which prices are rising or expected to rise.', 'The 2010s were a long bull market for US equities.', 'general', 'beginner', '{Bear Market}'),
    ('20000000-0000-4000-8000-000000000002', 'Bear Market', 'A decline of 20% or more from recent highs.', 'Stocks entered a bear market in 2022.', 'general', 'beginner', '{Bull Market}'),
    ('20000000-0000-4000-8000-000000000003', 'Market Cap', 'Share price times shares outstanding.', 'A $50 stock with 1B shares has a $50B market cap.', 'fundamentals', 'beginner', '{}'),
    ('20000000-0000-4000-8000-000000000004', 'P/E Ratio', 'Price divided by earnings per share.', 'At $100 and $5 EPS the P/E is 20.', 'fundamentals', 'intermediate', '{EPS}'),
    ('20000000-0000-4000-8000-000000000005', 'Short Selling', 'Selling borrowed shares to buy them back cheaper.', 'She shorted 10 shares at $100 and covered at $90.', 'trading', 'intermediate', '{}'),
    ('20000000-0000-4000-8000-000000000006', 'Implied Volatility', 'The market''s forecast of a likely movement, derived from option prices.', 'IV spikes before earnings.', 'derivatives', 'advanced', '{}');

INSERT INTO challenge_templates (id, title, description, type, difficulty, xp_reward, time_limit_seconds, content, correct_answer, is_daily) VALUES
    ('30000000-0000-4000-8000-000000000001', 'Spot the Double Top', 'Which chart shows a double top?', 'pattern', 'easy', 50, 120,
     '{"charts":["a","b","c"]}', '{"answer":"b"}', TRUE),
    ('30000000-0000-4000-8000-000000000002', 'CPI Detective', 'Why did yields jump this morning?', 'detective', 'medium', 100, 300,
     '{"clues":["CPI 0.6% m/m","consensus 0.3%"]}', '{"answer":"hot inflation print"}', TRUE),
    ('30000000-0000-4000-8000-000000000003', 'Speed Quiz: Terms', 'Ten terms in sixty seconds.', 'speed', 'hard', 150, 60,
     '{"term_count":10}', '{"min_correct":8}', FALSE);

INSERT INTO achievements (id, title, description, icon, category, rarity, xp_reward, criteria, story_title, story_narrative) VALUES
    ('first-prediction', 'First Call',     'Make your first prediction.',        '🎯', 'social',   'common',    25,  '{"predictions_made":1}',  'The First Call',  'Everyone remembers their first call.'),
    ('streak-7',         'Week Warrior',   'Keep a 7-day learning streak.',      '🔥', 'learning', 'rare',      100, '{"streak_days":7}',       'Seven Sunrises',  'Seven days, seven lessons.'),
    ('profitable-10',    'In the Green',   'Close 10 profitable paper trades.',  '💚', 'trading',  'epic',      250, '{"profitable_trades":10}', 'Green Days',      'Ten wins and counting.'),
    ('oracle',           'The Oracle',     '80% accuracy over 50 predictions.',  '🔮', 'social',   'legendary', 1000,'{"accuracy":80,"min_predictions":50}', 'The Oracle', 'They said it could not be done.');

INSERT INTO user_skill_progress (user_id, skill_id, status, progress_pct, xp_earned, quiz_score, started_at, completed_at) VALUES
    ('10000000-0000-4000-8000-000000000001', 'market-basics',  'completed',   100, 100, 92, now() - interval '20 days', now() - interval '18 days'),
    ('10000000-0000-4000-8000-000000000001', 'candlesticks',   'completed',   100, 200, 85, now() - interval '15 days', now() - interval '10 days'),
    ('10000000-0000-4000-8000-000000000001', 'basic-patterns', 'in_progress',  40, 120, NULL, now() - interval '3 days', NULL),
    ('10000000-0000-4000-8000-000000000002', 'market-basics',  'completed',   100, 100, 70, now() - interval '9 days', now() - interval '8 days'),
    ('10000000-0000-4000-8000-000000000002', 'crypto-101',     'in_progress',  65, 130, NULL, now() - interval '5 days', NULL);

INSERT INTO user_vocabulary_progress (user_id, term_id, status, ease_factor, interval_days, repetitions, correct_count, incorrect_count, last_reviewed_at, next_review_at) VALUES
    ('10000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', 'mastered', 2.80, 30, 6, 6, 0, now() - interval '5 days',  now() + interval '25 days'),
    ('10000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000004', 'learning', 2.30,  1, 1, 1, 1, now() - interval '1 day',   now()),
    ('10000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000002', 'known',    2.50,  6, 3, 3, 0, now() - interval '2 days',  now() + interval '4 days'),
    ('10000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000005', 'new',      2.50,  0, 0, 0, 0, NULL,                      now());

INSERT INTO user_challenges (user_id, challenge_id, challenge_date, status, answer, score, xp_earned, time_taken_seconds, started_at, completed_at) VALUES
    ('10000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', CURRENT_DATE,     'completed', '{"answer":"b"}', 100, 50, 41, now() - interval '1 hour', now() - interval '59 minutes'),
    ('10000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000002', CURRENT_DATE - 1, 'failed',    '{"answer":"earnings"}', 0, 0, 300, now() - interval '1 day', now() - interval '1 day'),
    ('10000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000001', CURRENT_DATE,     'in_progress', NULL, NULL, 0, NULL, now() - interval '5 minutes', NULL);

INSERT INTO user_achievements (user_id, achievement_id, unlocked_at, is_featured) VALUES
    ('10000000-0000-4000-8000-000000000001', 'first-prediction', now() - interval '12 days', FALSE),
    ('10000000-0000-4000-8000-000000000001', 'streak-7',         now() - interval '2 days',  TRUE),
    ('10000000-0000-4000-8000-000000000002', 'first-prediction', now() - interval '6 days',  FALSE),
    ('10000000-0000-4000-8000-000000000004', 'oracle',           now() - interval '90 days', TRUE);

-- ---------------------------------------------------------------------------
-- Social: tribes (tribe_stats auto-created), members, predictions, mentoring
-- ---------------------------------------------------------------------------
INSERT INTO tribes (id, slug, name, description, focus, icon, is_public, max_members, created_by) VALUES
    ('40000000-0000-4000-8000-000000000001', 'tech-ai',       'Tech & AI',     'Semis, software and the AI trade.', 'Tech/AI', '🤖', TRUE,  200, '10000000-0000-4000-8000-000000000004'),
    ('40000000-0000-4000-8000-000000000002', 'crypto-whales', 'Crypto Whales', 'Invite-only crypto desk.',          'Crypto',  '🐋', FALSE,  25, '10000000-0000-4000-8000-000000000002');

INSERT INTO tribe_members (tribe_id, user_id, role, rank_position, prediction_accuracy, predictions_count, joined_at) VALUES
    ('40000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000004', 'leader', 1, 78.50, 42, now() - interval '60 days'),
    ('40000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'member', 2, 61.00, 12, now() - interval '20 days'),
    ('40000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002', 'leader', 1, 55.00,  9, now() - interval '30 days');

UPDATE tribe_stats s SET member_count = v.n, avg_accuracy = v.acc, total_predictions = v.p, weekly_active_members = v.w, global_rank = v.r
FROM (VALUES
    ('40000000-0000-4000-8000-000000000001'::uuid, 2, 69.75, 54, 2, 1),
    ('40000000-0000-4000-8000-000000000002'::uuid, 1, 55.00,  9, 1, 2)
) AS v(tribe_id, n, acc, p, w, r)
WHERE s.tribe_id = v.tribe_id;

INSERT INTO predictions (id, user_id, tribe_id, symbol, asset_type, direction, confidence, timeframe,
                         price_at_prediction, target_price, price_at_resolution, reasoning, outcome, is_public,
                         agree_count, disagree_count, comment_count, expires_at, resolved_at, created_at) VALUES
    ('50000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000001',
     'NVDA', 'stock', 'bullish', 7, '1m', 120.50, 140.00, NULL, 'Data-centre capex keeps growing.', 'pending', TRUE,
     1, 0, 1, now() + interval '25 days', NULL, now() - interval '5 days'),
    ('50000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001', NULL,
     'SPY', 'etf', 'bearish', 4, '1w', 560.00, 545.00, NULL, 'Private hunch before CPI.', 'pending', FALSE,
     0, 0, 0, now() + interval '4 days', NULL, now() - interval '3 days'),
    ('50000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000002', '40000000-0000-4000-8000-000000000002',
     'BTC', 'crypto', 'bullish', 9, '1m', 64000, 75000, NULL, 'Halving supply shock (tribe only).', 'pending', FALSE,
     0, 0, 0, now() + interval '20 days', NULL, now() - interval '10 days'),
    ('50000000-0000-4000-8000-000000000004', '10000000-0000-4000-8000-000000000004', '40000000-0000-4000-8000-000000000001',
     'AAPL', 'stock', 'neutral', 6, '1w', 190.00, NULL, 191.20, 'Range-bound into WWDC.', 'correct', TRUE,
     0, 1, 0, now() - interval '2 days', now() - interval '2 days', now() - interval '9 days'),
    ('50000000-0000-4000-8000-000000000005', '10000000-0000-4000-8000-000000000004', NULL,
     'XAUUSD', 'commodity', 'bullish', 8, '3m', 2300.00, 2500.00, 2280.00, 'Central-bank buying.', 'incorrect', TRUE,
     0, 0, 0, now() - interval '1 day', now() - interval '1 day', now() - interval '92 days');

INSERT INTO prediction_votes (prediction_id, user_id, vote) VALUES
    ('50000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000004', 'agree'),
    ('50000000-0000-4000-8000-000000000004', '10000000-0000-4000-8000-000000000002', 'disagree');

INSERT INTO prediction_comments (id, prediction_id, user_id, parent_id, content) VALUES
    ('51000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000004', NULL, 'Watch the 115 support.'),
    ('51000000-0000-4000-8000-000000000002', '50000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', '51000000-0000-4000-8000-000000000001', 'Noted, stop set at 114.');

INSERT INTO mentor_profiles (user_id, headline, specialties, experience_years, max_mentees, current_mentees, rating_avg, rating_count) VALUES
    ('10000000-0000-4000-8000-000000000004', 'Ex-prop trader: risk first, then returns', '{risk-management,macro,forex}', 12, 3, 1, 4.80, 15);

INSERT INTO mentorships (id, mentor_id, mentee_id, status, goals, started_at) VALUES
    ('60000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000004', '10000000-0000-4000-8000-000000000001',
     'active', 'Build a repeatable swing-trading process.', now() - interval '14 days');

INSERT INTO mentor_messages (mentorship_id, sender_id, content, is_read, read_at, created_at) VALUES
    ('60000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'Here is my trade journal for last week.', TRUE, now() - interval '1 day', now() - interval '2 days'),
    ('60000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000004', 'Good. Size down on the breakouts.', FALSE, NULL, now() - interval '1 day');

-- ---------------------------------------------------------------------------
-- Paper trading. Primary portfolios/watchlists were auto-created; the extra
-- ones get fixed ids for the CSV seeds.
-- ---------------------------------------------------------------------------
INSERT INTO paper_portfolios (id, user_id, name, description, is_primary, initial_balance, current_balance, buying_power, total_value) VALUES
    ('70000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'Swing Trades', 'Two-week horizon, tech.', FALSE, 25000, 14000, 14000, 26150),
    ('70000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002', 'Crypto Lab',   'High risk, small size.',  FALSE, 10000,  2500,  2500, 10900);

UPDATE paper_portfolios SET current_balance = 93500, buying_power = 93500, total_value = 101200,
       total_pnl = 1200, total_pnl_pct = 1.2000, win_rate = 66.67, total_trades = 3, winning_trades = 2
WHERE user_id = '10000000-0000-4000-8000-000000000001' AND is_primary;

-- positions in the primary portfolios (P&L filled in by tr_calculate_position_pnl)
INSERT INTO paper_positions (portfolio_id, symbol, asset_type, side, quantity, entry_price, current_price, stop_loss, take_profit)
SELECT pp.id, v.symbol, v.asset_type, v.side, v.qty, v.entry, v.cur, v.sl, v.tp
FROM (VALUES
    ('10000000-0000-4000-8000-000000000001'::uuid, 'MSFT', 'stock', 'long',  10::numeric, 410.00::numeric, 425.50::numeric, 395.00::numeric, 450.00::numeric),
    ('10000000-0000-4000-8000-000000000001'::uuid, 'TSLA', 'stock', 'short',  5::numeric, 250.00::numeric, 240.00::numeric, 265.00::numeric, 220.00::numeric),
    ('10000000-0000-4000-8000-000000000002'::uuid, 'ETH',  'crypto','long',   2::numeric, 3100.00::numeric, NULL::numeric,  2800.00::numeric, NULL::numeric)
) AS v(user_id, symbol, asset_type, side, qty, entry, cur, sl, tp)
JOIN paper_portfolios pp ON pp.user_id = v.user_id AND pp.is_primary;

INSERT INTO paper_position_history (portfolio_id, user_id, symbol, asset_type, side, quantity, entry_price, exit_price, pnl, pnl_pct, close_reason, opened_at, closed_at)
SELECT pp.id, pp.user_id, v.symbol, v.asset_type, v.side, v.qty, v.entry, v.exit_price,
       CASE v.side WHEN 'long' THEN (v.exit_price - v.entry) * v.qty ELSE (v.entry - v.exit_price) * v.qty END,
       CASE v.side WHEN 'long' THEN 1 ELSE -1 END * (v.exit_price - v.entry) / v.entry * 100,
       v.reason, now() - v.held - interval '1 day', now() - interval '1 day'
FROM (VALUES
    ('10000000-0000-4000-8000-000000000001'::uuid, 'AAPL', 'stock', 'long',  20::numeric, 180.00::numeric, 195.00::numeric, 'take_profit', interval '9 days'),
    ('10000000-0000-4000-8000-000000000001'::uuid, 'AMD',  'stock', 'long',  15::numeric, 160.00::numeric, 150.00::numeric, 'stop_loss',   interval '4 days'),
    ('10000000-0000-4000-8000-000000000001'::uuid, 'NFLX', 'stock', 'short',  4::numeric, 640.00::numeric, 615.00::numeric, 'manual',      interval '2 days'),
    ('10000000-0000-4000-8000-000000000002'::uuid, 'SOL',  'crypto','long',  30::numeric, 150.00::numeric, 138.00::numeric, 'manual',      interval '6 days')
) AS v(user_id, symbol, asset_type, side, qty, entry, exit_price, reason, held)
JOIN paper_portfolios pp ON pp.user_id = v.user_id AND pp.is_primary;

INSERT INTO watchlists (id, user_id, name, description, is_primary, sort_order) VALUES
    ('80000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'Semis',       'Chip makers and equipment.', FALSE, 1),
    ('80000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002', 'Layer 1s',    'Smart-contract platforms.',  FALSE, 1),
    ('80000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000004', 'Macro Board', 'Rates, FX, gold.',           FALSE, 1);

INSERT INTO watchlist_items (watchlist_id, symbol, asset_type, alert_price_above, alert_price_below, alert_enabled)
SELECT w.id, v.symbol, v.asset_type, v.above, v.below, v.alert
FROM (VALUES
    ('10000000-0000-4000-8000-000000000001'::uuid, 'AAPL', 'stock',  200.00::numeric, 170.00::numeric, TRUE),
    ('10000000-0000-4000-8000-000000000001'::uuid, 'SPY',  'etf',    NULL::numeric,   NULL::numeric,   FALSE),
    ('10000000-0000-4000-8000-000000000002'::uuid, 'BTC',  'crypto', 70000::numeric,  58000::numeric,  TRUE)
) AS v(user_id, symbol, asset_type, above, below, alert)
JOIN watchlists w ON w.user_id = v.user_id AND w.is_primary;

-- ---------------------------------------------------------------------------
-- Settings: feature flags, API keys (encrypted with a dev-only passphrase;
-- production reads the secret from API_KEY_SECRET)
-- ---------------------------------------------------------------------------
INSERT INTO feature_flags (id, name, description, is_enabled, enabled_for_roles, enabled_for_users, percentage_rollout) VALUES
    ('ai_analysis',     'AI analysis',      'LLM commentary on charts.',         TRUE,  '{}',                   '{}', 0),
    ('tribe_chat',      'Tribe chat',       'Real-time chat inside tribes.',     FALSE, '{admin,moderator}',    '{}', 0),
    ('options_trading', 'Options trading',  'Paper options (beta).',             FALSE, '{}',                   '{10000000-0000-4000-8000-000000000001}', 10),
    ('new_dashboard',   'New dashboard',    'Redesigned overview tab.',          FALSE, '{}',                   '{}', 50);

INSERT INTO api_keys (user_id, service_name, key_encrypted, key_hint, last_used_at) VALUES
    ('10000000-0000-4000-8000-000000000001', 'alphavantage', pgp_sym_encrypt('demo-alpha-key-AL1CE', 'dev-only-api-key-secret-change-me'), 'L1CE', now() - interval '1 hour'),
    ('10000000-0000-4000-8000-000000000001', 'finnhub',      pgp_sym_encrypt('demo-finnhub-key-A7X9', 'dev-only-api-key-secret-change-me'), 'A7X9', NULL),
    ('10000000-0000-4000-8000-000000000002', 'coingecko',    pgp_sym_encrypt('demo-gecko-key-B0B2', 'dev-only-api-key-secret-change-me'), 'B0B2', now() - interval '2 days');

-- ---------------------------------------------------------------------------
-- Audit & analytics
-- ---------------------------------------------------------------------------
INSERT INTO audit_logs (user_id, action, resource_type, resource_id, details, ip_address, user_agent, duration_ms, created_at) VALUES
    ('10000000-0000-4000-8000-000000000001', 'auth.login',         'session',    NULL, '{"method":"password"}', '192.0.2.10', 'Mozilla/5.0 (Macintosh)', 120, now() - interval '2 hours'),
    ('10000000-0000-4000-8000-000000000001', 'prediction.create',  'prediction', '50000000-0000-4000-8000-000000000001', '{"symbol":"NVDA"}', '192.0.2.10', 'Mozilla/5.0 (Macintosh)', 35, now() - interval '5 days'),
    ('10000000-0000-4000-8000-000000000002', 'api_key.create',     'api_key',    NULL, '{"service":"coingecko"}', '192.0.2.20', 'Mozilla/5.0 (iPhone)', 48, now() - interval '2 days'),
    ('10000000-0000-4000-8000-000000000003', 'feature_flag.update','feature_flag','new_dashboard', '{"percentage_rollout":{"from":10,"to":50}}', '198.51.100.5', 'Mozilla/5.0 (X11)', 22, now() - interval '1 day'),
    (NULL,                                   'system.resolve_predictions', 'prediction', NULL, '{"resolved":2}', NULL, 'resolver/1.0', 840, now() - interval '1 day');

INSERT INTO user_activity (user_id, activity_date, sessions_count, total_time_seconds, challenges_completed, predictions_made, trades_closed, pages_viewed, actions_taken, xp_earned, comments_posted, tribe_messages)
SELECT u.id, CURRENT_DATE - d, 1 + (d % 3), 600 + d * 120, d % 2, (d + 1) % 2, d % 3, 10 + d, 20 + 2 * d, 25 * (1 + d % 4), d % 2, d % 3
FROM users u CROSS JOIN generate_series(0, 6) AS d
WHERE u.id IN ('10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000002');

UPDATE user_stats s SET total_sessions = v.sessions, total_xp_earned = v.xp, total_achievements = v.ach,
       total_predictions = v.preds, correct_predictions = v.correct, prediction_accuracy = v.acc,
       total_trades = v.trades, winning_trades = v.wins, trade_win_rate = v.winrate,
       global_rank = v.rank, monthly_rank = v.rank, weekly_rank = v.rank,
       most_active_hour = v.hour, most_active_day = v.dow, last_activity_date = CURRENT_DATE
FROM (VALUES
    ('10000000-0000-4000-8000-000000000001'::uuid,  48, 1250, 2, 12,  7, 58.33, 3, 2, 66.67, 2, 20, 1),
    ('10000000-0000-4000-8000-000000000002'::uuid,  17,  420, 1,  9,  5, 55.56, 1, 0,  0.00, 3, 22, 5),
    ('10000000-0000-4000-8000-000000000004'::uuid, 310, 9800, 1, 42, 33, 78.57, 0, 0,  0.00, 1,  7, 2)
) AS v(user_id, sessions, xp, ach, preds, correct, acc, trades, wins, winrate, rank, hour, dow)
WHERE s.user_id = v.user_id;

INSERT INTO engagement_metrics (metric_date, daily_active_users, new_users, churned_users, total_sessions, avg_session_duration_seconds,
                                challenges_completed, predictions_made, trades_opened, d1_retention, d7_retention, d30_retention)
SELECT CURRENT_DATE - d, 3 + d % 2, d % 2, 0, 5 + d, 540 + d * 30, 2 + d % 3, 1 + d % 2, d % 4, 75.00, 50.00, 25.00
FROM generate_series(0, 6) AS d;

INSERT INTO leaderboard_snapshots (user_id, period, snapshot_date, rank_position, total_xp, prediction_accuracy) VALUES
    ('10000000-0000-4000-8000-000000000004', 'weekly', CURRENT_DATE, 1, 9800, 78.57),
    ('10000000-0000-4000-8000-000000000001', 'weekly', CURRENT_DATE, 2, 1250, 58.33),
    ('10000000-0000-4000-8000-000000000002', 'weekly', CURRENT_DATE, 3,  420, 55.56),
    ('10000000-0000-4000-8000-000000000004', 'all_time', CURRENT_DATE, 1, 9800, 78.57),
    ('10000000-0000-4000-8000-000000000001', 'all_time', CURRENT_DATE, 2, 1250, 58.33),
    ('10000000-0000-4000-8000-000000000002', 'all_time', CURRENT_DATE, 3,  420, 55.56);
