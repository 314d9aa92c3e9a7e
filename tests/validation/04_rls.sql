-- RLS suite: own data, public read, tribe access, admin access, and the
-- holes the documented policies had (self-promotion, a client-settable
-- admin flag, readable challenge answers).
-- `-- as: ROLE [USER_ID]` switches to the Supabase role with that JWT subject
-- for the one test.
--
-- Cast: A and B are plain users, C is an admin, D is a plain user outside
-- B's private tribe (of which A is a member), E is a deactivated admin.

INSERT INTO users (id, email, role) VALUES
    ('00000000-0000-0000-0000-0000000000a1', 'a@validation.test', 'user'),
    ('00000000-0000-0000-0000-0000000000b2', 'b@validation.test', 'user'),
    ('00000000-0000-0000-0000-0000000000c3', 'c@validation.test', 'admin'),
    ('00000000-0000-0000-0000-0000000000d4', 'd@validation.test', 'user');
INSERT INTO users (id, email, role, is_active) VALUES
    ('00000000-0000-0000-0000-0000000000e5', 'e@validation.test', 'admin', FALSE);

-- one open position each for A and B, in their auto-created primary portfolios
INSERT INTO paper_positions (portfolio_id, symbol, quantity, entry_price, current_price)
SELECT id, 'AAPL', 1, 100, 105 FROM paper_portfolios
WHERE user_id IN ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b2');

INSERT INTO api_keys (user_id, service_name, key_encrypted, key_hint) VALUES
    ('00000000-0000-0000-0000-0000000000a1', 'alphavantage', '\x00'::bytea, 'AAAA'),
    ('00000000-0000-0000-0000-0000000000b2', 'alphavantage', '\x00'::bytea, 'BBBB');

INSERT INTO tribes (id, slug, name, is_public, created_by) VALUES
    ('00000000-0000-0000-0000-0000000000f1', 'validation-private', 'Private Tribe', FALSE, '00000000-0000-0000-0000-0000000000b2'),
    ('00000000-0000-0000-0000-0000000000f2', 'validation-public',  'Public Tribe',  TRUE,  '00000000-0000-0000-0000-0000000000b2');

INSERT INTO tribe_members (tribe_id, user_id, role) VALUES
    ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000b2', 'leader'),
    ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000a1', 'member');

-- B: one public, one private, one private-in-tribe prediction; A: one private
INSERT INTO predictions (id, user_id, tribe_id, symbol, direction, price_at_prediction, is_public, expires_at) VALUES
    ('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000b2', NULL, 'SPY', 'bullish', 500, TRUE,  now() + interval '7 days'),
    ('00000000-0000-0000-0000-0000000000e2', '00000000-0000-0000-0000-0000000000b2', NULL, 'QQQ', 'bearish', 400, FALSE, now() + interval '7 days'),
    ('00000000-0000-0000-0000-0000000000e3', '00000000-0000-0000-0000-0000000000b2', '00000000-0000-0000-0000-0000000000f1', 'BTC', 'bullish', 60000, FALSE, now() + interval '7 days'),
    ('00000000-0000-0000-0000-0000000000e4', '00000000-0000-0000-0000-0000000000a1', NULL, 'ETH', 'neutral', 3000, FALSE, now() + interval '7 days');

INSERT INTO mentorships (id, mentor_id, mentee_id, status) VALUES
    ('00000000-0000-0000-0000-000000000011', '00000000-0000-0000-0000-0000000000b2', '00000000-0000-0000-0000-0000000000a1', 'active');
INSERT INTO mentor_messages (mentorship_id, sender_id, content) VALUES
    ('00000000-0000-0000-0000-000000000011', '00000000-0000-0000-0000-0000000000b2', 'Welcome!');

INSERT INTO skill_nodes (id, name, category) VALUES ('validation-skill', 'Validation Skill', 'technical');
INSERT INTO challenge_templates (id, title, type, correct_answer) VALUES
    ('00000000-0000-0000-0000-000000000021', 'Validation Challenge', 'quiz', '{"answer":"b"}');
INSERT INTO engagement_metrics (metric_date, daily_active_users) VALUES ('1999-12-31', 42);

-- test: a user sees only their own portfolios
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 1
SELECT * FROM paper_portfolios;

-- test: a user sees only their own users row
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 1
SELECT * FROM users;

-- test: a user sees only the positions in their own portfolios
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 1
SELECT * FROM paper_positions;

-- test: a user cannot update another user's portfolio
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 0
UPDATE paper_portfolios SET name = 'pwned' WHERE user_id = '00000000-0000-0000-0000-0000000000b2';

-- test: a user cannot delete another user's watchlist
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 0
DELETE FROM watchlists WHERE user_id = '00000000-0000-0000-0000-0000000000b2';

-- test: a user can update their own portfolio
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 1
UPDATE paper_portfolios SET name = 'Renamed' WHERE user_id = '00000000-0000-0000-0000-0000000000a1';

-- test: a user cannot open a position in another user's portfolio
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: error 42501
INSERT INTO paper_positions (portfolio_id, symbol, quantity, entry_price)
VALUES ((SELECT id FROM paper_portfolios WHERE user_id = '00000000-0000-0000-0000-0000000000b2' AND is_primary), 'TSLA', 1, 200);

-- test: a user cannot read another user's API keys
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 0
SELECT * FROM api_keys WHERE user_id = '00000000-0000-0000-0000-0000000000b2';

-- test: anon sees no portfolios
-- as: anon
-- expect: rows 0
SELECT * FROM paper_portfolios;

-- test: anon sees no users
-- as: anon
-- expect: rows 0
SELECT * FROM users;

-- test: anon sees no profiles, settings or API keys
-- as: anon
-- expect: value 0
SELECT (SELECT count(*) FROM user_profiles) + (SELECT count(*) FROM user_settings) + (SELECT count(*) FROM api_keys);

-- test: anon cannot create a user
-- as: anon
-- expect: error 42501
INSERT INTO users (id, email) VALUES ('00000000-0000-0000-0000-0000000000a9', 'x@validation.test');

-- test: anon reads only public predictions
-- as: anon
-- expect: rows 1
SELECT * FROM predictions WHERE user_id = '00000000-0000-0000-0000-0000000000b2';

-- test: a tribe member reads B's public and tribe predictions, not B's private one
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 2
SELECT * FROM predictions WHERE user_id = '00000000-0000-0000-0000-0000000000b2';

-- test: a non-member reads only public predictions
-- as: authenticated 00000000-0000-0000-0000-0000000000d4
-- expect: rows 1
SELECT * FROM predictions WHERE user_id = '00000000-0000-0000-0000-0000000000b2';

-- test: a member sees the tribe's members (no policy recursion)
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 2
SELECT * FROM tribe_members WHERE tribe_id = '00000000-0000-0000-0000-0000000000f1';

-- test: a non-member sees none of a private tribe's members
-- as: authenticated 00000000-0000-0000-0000-0000000000d4
-- expect: rows 0
SELECT * FROM tribe_members WHERE tribe_id = '00000000-0000-0000-0000-0000000000f1';

-- test: a non-member does not see a private tribe
-- as: authenticated 00000000-0000-0000-0000-0000000000d4
-- expect: rows 0
SELECT * FROM tribes WHERE id = '00000000-0000-0000-0000-0000000000f1';

-- test: a non-member cannot join a private tribe
-- as: authenticated 00000000-0000-0000-0000-0000000000d4
-- expect: error 42501
INSERT INTO tribe_members (tribe_id, user_id) VALUES ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000d4');

-- test: anyone signed in can join a public tribe as a member
-- as: authenticated 00000000-0000-0000-0000-0000000000d4
-- expect: ok
INSERT INTO tribe_members (tribe_id, user_id) VALUES ('00000000-0000-0000-0000-0000000000f2', '00000000-0000-0000-0000-0000000000d4');

-- test: joining a public tribe as its leader is refused
-- as: authenticated 00000000-0000-0000-0000-0000000000d4
-- expect: error 42501
INSERT INTO tribe_members (tribe_id, user_id, role) VALUES ('00000000-0000-0000-0000-0000000000f2', '00000000-0000-0000-0000-0000000000d4', 'leader');

-- test: a user can edit their own users row
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 1
UPDATE users SET display_name = 'A' WHERE id = '00000000-0000-0000-0000-0000000000a1';

-- test: a user cannot promote themselves to admin
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: error 42501
UPDATE users SET role = 'admin' WHERE id = '00000000-0000-0000-0000-0000000000a1';

-- test: a user cannot sign up under someone else's id
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: error 42501
INSERT INTO users (id, email) VALUES ('00000000-0000-0000-0000-0000000000a9', 'x@validation.test');

-- test: a user cannot insert profiles (the trigger does)
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: error 42501
INSERT INTO user_profiles (user_id) VALUES ('00000000-0000-0000-0000-0000000000a1');

-- test: a user cannot mark their own prediction correct
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: error 42501
UPDATE predictions SET outcome = 'correct', resolved_at = now() WHERE id = '00000000-0000-0000-0000-0000000000e4';

-- test: a user cannot comment on a prediction they cannot see
-- as: authenticated 00000000-0000-0000-0000-0000000000d4
-- expect: error 42501
INSERT INTO prediction_comments (prediction_id, user_id, content)
VALUES ('00000000-0000-0000-0000-0000000000e2', '00000000-0000-0000-0000-0000000000d4', 'peek');

-- test: mentorship messages are private to the pair
-- as: authenticated 00000000-0000-0000-0000-0000000000d4
-- expect: rows 0
SELECT * FROM mentor_messages;

-- test: the mentee reads the mentorship's messages
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 1
SELECT * FROM mentor_messages;

-- test: setting app.current_user_role = admin grants nothing
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 0
SELECT set_config('app.current_user_role', 'admin', true);
SELECT * FROM paper_portfolios WHERE user_id = '00000000-0000-0000-0000-0000000000b2';

-- test: an admin sees every user
-- as: authenticated 00000000-0000-0000-0000-0000000000c3
-- expect: rows 5
SELECT * FROM users WHERE email LIKE '%@validation.test';

-- test: an admin can update another user's portfolio
-- as: authenticated 00000000-0000-0000-0000-0000000000c3
-- expect: rows 1
UPDATE paper_portfolios SET is_active = FALSE WHERE user_id = '00000000-0000-0000-0000-0000000000b2';

-- test: engagement metrics are hidden from regular users
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 0
SELECT * FROM engagement_metrics WHERE metric_date = '1999-12-31';

-- test: an admin reads engagement metrics
-- as: authenticated 00000000-0000-0000-0000-0000000000c3
-- expect: value 42
SELECT daily_active_users FROM engagement_metrics WHERE metric_date = '1999-12-31';

-- test: a deactivated admin has no admin access
-- as: authenticated 00000000-0000-0000-0000-0000000000e5
-- expect: rows 0
SELECT * FROM engagement_metrics WHERE metric_date = '1999-12-31';

-- test: service_role bypasses RLS
-- as: service_role
-- expect: rows 5
SELECT * FROM users WHERE email LIKE '%@validation.test';

-- test: anyone can read the skill catalogue
-- as: anon
-- expect: rows 1
SELECT * FROM skill_nodes WHERE id = 'validation-skill';

-- test: challenges are readable without their answers
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: rows 1
SELECT id, title, type, difficulty, xp_reward, content FROM challenge_templates WHERE id = '00000000-0000-0000-0000-000000000021';

-- test: challenge answers are not readable by API roles
-- as: authenticated 00000000-0000-0000-0000-0000000000a1
-- expect: error insufficient_privilege
SELECT correct_answer FROM challenge_templates WHERE id = '00000000-0000-0000-0000-000000000021';
