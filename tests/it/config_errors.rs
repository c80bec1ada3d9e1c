//! Start-up errors: exit 2, nothing sent, and a message that names the file, line and key.
