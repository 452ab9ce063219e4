"""VideoForge gallery service: sign-in, uploads, the user's videos."""
