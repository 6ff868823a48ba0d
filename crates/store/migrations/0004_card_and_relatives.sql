-- The prospect card's descriptive fields (validated in the domain crate) and linked relatives.
ALTER TABLE customers ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';
ALTER TABLE contacts ADD COLUMN relation TEXT;
