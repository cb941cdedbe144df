-- A one-time message for the next server-rendered page ("Added 2 × Mug"), set by a form post
-- and cleared when shown: the post-redirect-get pattern needs it to survive one redirect.
ALTER TABLE sessions ADD COLUMN flash jsonb;
