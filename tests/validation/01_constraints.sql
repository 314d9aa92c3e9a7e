-- Constraint suite: CHECK, UNIQUE, FOREIGN KEY and NOT NULL rules of the
-- 1MarketPulse schema, plus the ON DELETE behaviour of the foreign keys.
-- Setup (runs once, as superuser; everything is rolled back at the end):
-- two users (their profile, settings, stats, primary portfolio and primary
-- watchlist are created by the auto-create triggers), a tribe, a prediction,
-- a skill, a challenge.

INSERT INTO users (id, email, display_name) VALUES
    ('00000000-0000-0000-0000-0000000000a1', 'a@validation.test', 'User A'),
    ('00000000-0000-0000-0000-0000000000b2', 'b@validation.test', 'User B');

INSERT INTO tribes (id, slug, name, created_by) VALUES
    ('00000000-0000-0000-0000-0000000000f1', 'validation-tribe', 'Validation Tribe',
     '00000000-0000-0000-0000-0000000000a1');

INSERT INTO predictions (id, user_id, tribe_id, symbol, direction, confidence, price_at_prediction, expires_at) VALUES
    ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000a1',
     '00000000-0000-0000-0000-0000000000f1', 'AAPL', 'bullish', 7, 190.00, now() + interval '7 days');

INSERT INTO prediction_votes (prediction_id, user_id, vote) VALUES
    ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000b2', 'agree');

INSERT INTO skill_nodes (id, name, category, layer) VALUES ('validation-skill', 'Validation Skill', 'technical', 1);

INSERT INTO challenge_templates (id, title, type) VALUES
    ('00000000-0000-0000-0000-0000000000e1', 'Validation Challenge', 'quiz');

INSERT INTO user_challenges (user_id, challenge_id) VALUES
    ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000e1');

INSERT INTO audit_logs (user_id, action) VALUES ('00000000-0000-0000-0000-0000000000b2', 'validation.event');

-- test: user role outside admin/user/moderator is rejected
-- expect: error 23514
INSERT INTO users (email, role) VALUES ('c@validation.test', 'superuser');

-- test: unknown trading experience is rejected
-- expect: error 23514
UPDATE user_profiles SET trading_experience = 'guru'
WHERE user_id = '00000000-0000-0000-0000-0000000000a1';

-- test: skill progress above 100 percent is rejected
-- expect: error check_violation
INSERT INTO user_skill_progress (user_id, skill_id, progress_pct)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'validation-skill', 101);

-- test: SM-2 ease factor below 1.30 is rejected
-- expect: error 23514
INSERT INTO vocabulary_terms (id, term, definition)
VALUES ('00000000-0000-0000-0000-0000000000e2', 'Validation Term', 'A term.');
INSERT INTO user_vocabulary_progress (user_id, term_id, ease_factor)
VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000e2', 1.00);

-- test: prediction confidence above 10 is rejected
-- expect: error 23514
INSERT INTO predictions (user_id, symbol, direction, confidence, price_at_prediction, expires_at)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'MSFT', 'bullish', 11, 400, now() + interval '1 day');

-- test: a resolved prediction needs resolved_at
-- expect: error 23514
UPDATE predictions SET outcome = 'correct' WHERE id = '00000000-0000-0000-0000-0000000000d1';

-- test: mentorship rating must be 1-5
-- expect: error 23514
INSERT INTO mentorships (mentor_id, mentee_id, rating)
VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b2', 6);

-- test: nobody mentors themselves
-- expect: error 23514
INSERT INTO mentorships (mentor_id, mentee_id)
VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a1');

-- test: negative position quantity is rejected
-- expect: error 23514
INSERT INTO paper_positions (portfolio_id, symbol, quantity, entry_price)
SELECT id, 'AAPL', -1, 190 FROM paper_portfolios
WHERE user_id = '00000000-0000-0000-0000-0000000000a1' AND is_primary;

-- test: position side must be long or short
-- expect: error 23514
INSERT INTO paper_positions (portfolio_id, symbol, side, quantity, entry_price)
SELECT id, 'AAPL', 'sideways', 1, 190 FROM paper_portfolios
WHERE user_id = '00000000-0000-0000-0000-0000000000a1' AND is_primary;

-- test: zero entry price is a check violation, not a division by zero in the P&L trigger
-- expect: error 23514
INSERT INTO paper_positions (portfolio_id, symbol, quantity, entry_price, current_price)
SELECT id, 'AAPL', 1, 0, 190 FROM paper_portfolios
WHERE user_id = '00000000-0000-0000-0000-0000000000a1' AND is_primary;

-- test: watchlist alert band must have below < above
-- expect: error 23514
INSERT INTO watchlist_items (watchlist_id, symbol, alert_price_above, alert_price_below)
SELECT id, 'AAPL', 100, 150 FROM watchlists
WHERE user_id = '00000000-0000-0000-0000-0000000000a1' AND is_primary;

-- test: feature flag rollout above 100 percent is rejected
-- expect: error 23514
INSERT INTO feature_flags (id, name, percentage_rollout) VALUES ('validation_flag', 'Validation', 150);

-- test: feature flag roles must be known user roles
-- expect: error 23514
INSERT INTO feature_flags (id, name, enabled_for_roles) VALUES ('validation_flag', 'Validation', '{owner}');

-- test: email is unique
-- expect: error 23505
INSERT INTO users (email) VALUES ('a@validation.test');

-- test: one profile per user
-- expect: error 23505
INSERT INTO user_profiles (user_id) VALUES ('00000000-0000-0000-0000-0000000000a1');

-- test: tribe slug is unique
-- expect: error unique_violation
INSERT INTO tribes (slug, name) VALUES ('validation-tribe', 'Another');

-- test: one vote per user and prediction
-- expect: error 23505
INSERT INTO prediction_votes (prediction_id, user_id, vote)
VALUES ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000b2', 'disagree');

-- test: only one primary portfolio per user
-- expect: error 23505
INSERT INTO paper_portfolios (user_id, name, is_primary)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'Second Primary', TRUE);

-- test: a second, non-primary portfolio is fine
-- expect: rows 1
INSERT INTO paper_portfolios (user_id, name) VALUES ('00000000-0000-0000-0000-0000000000a1', 'Side Portfolio');

-- test: one attempt per challenge and day
-- expect: error 23505
INSERT INTO user_challenges (user_id, challenge_id)
VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000e1');

-- test: position in a missing portfolio is rejected
-- expect: error 23503
INSERT INTO paper_positions (portfolio_id, symbol, quantity, entry_price)
VALUES ('00000000-0000-0000-0000-00000000dead', 'AAPL', 1, 190);

-- test: progress on an unknown skill is rejected
-- expect: error foreign_key_violation
INSERT INTO user_skill_progress (user_id, skill_id)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'no-such-skill');

-- test: history rows must name the portfolio's real owner
-- expect: error 23503
INSERT INTO paper_position_history (portfolio_id, user_id, symbol, side, quantity, entry_price, exit_price, pnl, pnl_pct, opened_at)
SELECT id, '00000000-0000-0000-0000-0000000000b2', 'AAPL', 'long', 1, 100, 110, 10, 10, now() - interval '1 day'
FROM paper_portfolios WHERE user_id = '00000000-0000-0000-0000-0000000000a1' AND is_primary;

-- test: email is required
-- expect: error 23502
INSERT INTO users (email) VALUES (NULL);

-- test: a session needs an expiry
-- expect: error not_null_violation
INSERT INTO sessions (user_id, token_hash) VALUES ('00000000-0000-0000-0000-0000000000a1', 'validation-token');

-- test: a prediction needs a symbol
-- expect: error 23502
INSERT INTO predictions (user_id, symbol, direction, price_at_prediction, expires_at)
VALUES ('00000000-0000-0000-0000-0000000000a1', NULL, 'bullish', 100, now() + interval '1 day');

-- test: deleting a user cascades to everything the triggers created
-- expect: value 0
DELETE FROM users WHERE id = '00000000-0000-0000-0000-0000000000a1';
SELECT (SELECT count(*) FROM user_profiles   WHERE user_id = '00000000-0000-0000-0000-0000000000a1')
     + (SELECT count(*) FROM user_settings    WHERE user_id = '00000000-0000-0000-0000-0000000000a1')
     + (SELECT count(*) FROM user_stats       WHERE user_id = '00000000-0000-0000-0000-0000000000a1')
     + (SELECT count(*) FROM paper_portfolios WHERE user_id = '00000000-0000-0000-0000-0000000000a1')
     + (SELECT count(*) FROM watchlists       WHERE user_id = '00000000-0000-0000-0000-0000000000a1')
     + (SELECT count(*) FROM predictions      WHERE user_id = '00000000-0000-0000-0000-0000000000a1');

-- test: deleting a user keeps their audit trail, with user_id set to NULL
-- expect: value t
DELETE FROM users WHERE id = '00000000-0000-0000-0000-0000000000b2';
SELECT user_id IS NULL FROM audit_logs WHERE action = 'validation.event';

-- test: deleting a tribe keeps its predictions, detached
-- expect: value t
DELETE FROM tribes WHERE id = '00000000-0000-0000-0000-0000000000f1';
SELECT tribe_id IS NULL FROM predictions WHERE id = '00000000-0000-0000-0000-0000000000d1';
