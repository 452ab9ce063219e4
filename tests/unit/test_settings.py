"""Service settings come from the environment, with the names docs/ARCHITECTURE.md ("The apps") gives."""

from psycopg.conninfo import conninfo_to_dict

from videoforge.settings import Settings


def test_database_conninfo_keeps_odd_passwords_whole(monkeypatch):
    monkeypatch.setenv("DB_HOST", "db.internal")
    monkeypatch.setenv("DB_PASSWORD", "p a's=word")
    parsed = conninfo_to_dict(Settings.from_env().db_conninfo)
    assert parsed["password"] == "p a's=word"
    assert parsed["host"] == "db.internal"


def test_an_empty_password_is_left_out(monkeypatch):
    monkeypatch.setenv("DB_PASSWORD", "")
    parsed = conninfo_to_dict(Settings.from_env().db_conninfo)
    assert "password" not in parsed
    assert parsed["application_name"] == "videoforge"


def test_jwks_url_defaults_to_cognitos_own_and_is_configurable(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    monkeypatch.setenv("COGNITO_USER_POOL_ID", "ap-southeast-2_abc")
    monkeypatch.delenv("COGNITO_JWKS_URL", raising=False)
    assert Settings.from_env().cognito_jwks_url == (
        "https://cognito-idp.ap-southeast-2.amazonaws.com/ap-southeast-2_abc/.well-known/jwks.json"
    )
    monkeypatch.setenv("COGNITO_JWKS_URL", "http://127.0.0.1:4566/ap-southeast-2_abc/.well-known/jwks.json")
    assert Settings.from_env().cognito_jwks_url.startswith("http://127.0.0.1:4566/")


def test_the_database_connection_verifies_tls_when_the_model_says_so(monkeypatch):
    # On AWS the roles set these from the model: the server's name and certificate are checked
    # against the RDS CA bundle, so a man in the middle cannot pose as the database.
    monkeypatch.setenv("DB_SSLMODE", "verify-full")
    monkeypatch.setenv("DB_SSLROOTCERT", "/etc/ssl/certs/rds-global-bundle.pem")
    parsed = conninfo_to_dict(Settings.from_env().db_conninfo)
    assert parsed["sslmode"] == "verify-full"
    assert parsed["sslrootcert"] == "/etc/ssl/certs/rds-global-bundle.pem"


def test_without_a_tls_setting_libpq_s_default_applies(monkeypatch):
    monkeypatch.delenv("DB_SSLMODE", raising=False)
    monkeypatch.delenv("DB_SSLROOTCERT", raising=False)
    parsed = conninfo_to_dict(Settings.from_env().db_conninfo)
    assert parsed["sslmode"] == "prefer"
    assert "sslrootcert" not in parsed
