"""standalone_examples/02_email_verification_tokens.py: its printed demo and its token functions."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jose import jwt
from support import load_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "standalone_examples" / "02_email_verification_tokens.py"
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
EMAIL = "bob@example.com"


ex = load_script(SCRIPT, "example_02_email_tokens")


@pytest.fixture(scope="module")
def output() -> str:
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_demo_shows_the_old_links_of_approaches_1_and_2_still_working(output: str) -> None:
    assert "✅ через рік (часу в таблиці немає): прийнято → alice@example.com" in output
    assert "✅ старий токен сьогодні: прийнято → alice@example.com" in output
    assert "✅ access токен як email токен: прийнято → alice@example.com" in output


def test_the_demo_shows_approach_3_rejecting_every_attack(output: str) -> None:
    assert "✅ свіжий токен: прийнято → alice@example.com" in output
    for line in (
        "❌ той самий токен через 25 год: відхилено → Token has expired",
        "❌ access токен (30 хв) як email токен: відхилено → Wrong token purpose",
        "❌ правильний секрет, purpose='access': відхилено → Wrong token purpose",
        "❌ підпис чужим секретом: відхилено → Invalid token",
        "❌ alg: none без підпису: відхилено → Invalid token",
    ):
        assert line in output


def test_the_demo_prints_the_security_table_of_the_lesson_plan(output: str) -> None:
    lines = output.splitlines()
    for row in (
        "| Підхід | Термін дії | Purpose claim | Окремий секрет | Безпека |",
        "| UUID (підхід 1) | ❌ ніколи | ❌ | ❌ | Низька |",
        "| JWT без exp (підхід 2) | ❌ ніколи | ❌ | ❌ | Середня |",
        "| JWT + exp + purpose (підхід 3) | ✅ 24 год | ✅ | ✅ | Висока |",
    ):
        assert row in lines


def test_a_uuid_token_is_found_for_ever_and_a_made_up_one_is_not() -> None:
    store = ex.UuidTokenStore()
    token = store.issue(EMAIL)
    assert store.verify(token) == EMAIL
    with pytest.raises(ex.TokenError, match="Unknown token"):
        store.verify(ex.UuidTokenStore().issue(EMAIL))


def test_a_jwt_without_exp_from_years_ago_and_an_access_token_both_pass() -> None:
    old = ex.create_jwt_without_exp(EMAIL, NOW - timedelta(days=3650))
    assert "exp" not in jwt.get_unverified_claims(old)
    assert ex.decode_jwt_without_exp(old) == EMAIL
    assert ex.decode_jwt_without_exp(ex.create_access_token(EMAIL, NOW)) == EMAIL


def test_an_email_token_carries_purpose_and_24_hours_and_its_own_secret() -> None:
    token = ex.create_email_token(EMAIL, NOW)
    claims = jwt.decode(token, ex.SECRETS[ex.EMAIL_VERIFY], options={"verify_exp": False})
    assert claims["purpose"] == "email_verify"
    assert claims["exp"] - claims["iat"] == 24 * 3600
    assert ex.SECRETS[ex.EMAIL_VERIFY] != ex.SECRETS[ex.ACCESS]


def test_an_email_token_is_valid_until_24_hours_and_expired_after() -> None:
    token = ex.create_email_token(EMAIL, NOW)
    assert ex.decode_email_token(token, NOW + timedelta(hours=24)) == EMAIL
    with pytest.raises(ex.TokenExpiredError, match="Token has expired"):
        ex.decode_email_token(token, NOW + timedelta(hours=24, seconds=1))


def test_an_access_token_is_no_email_token() -> None:
    access = ex.create_access_token(EMAIL, NOW)
    with pytest.raises(ex.WrongTokenPurposeError, match="Wrong token purpose"):
        ex.decode_email_token(access, NOW)
    assert ex.decode_token(access, ex.ACCESS, NOW + timedelta(minutes=30)) == EMAIL
    with pytest.raises(ex.TokenExpiredError):
        ex.decode_token(access, ex.ACCESS, NOW + timedelta(minutes=31))


def test_the_right_secret_with_the_wrong_purpose_is_rejected() -> None:
    token = ex.create_token(EMAIL, "access", timedelta(hours=1), NOW)  # signed with access secret
    forged = jwt.encode(
        {"sub": EMAIL, "exp": NOW + timedelta(hours=1), "purpose": "access"},
        ex.SECRETS[ex.EMAIL_VERIFY],
        algorithm="HS256",
    )
    for wrong in (token, forged):
        with pytest.raises(ex.WrongTokenPurposeError, match="Wrong token purpose"):
            ex.decode_email_token(wrong, NOW)


def test_a_token_signed_with_another_secret_is_invalid() -> None:
    forged = jwt.encode(
        {"sub": EMAIL, "exp": NOW + timedelta(hours=1), "purpose": "email_verify"},
        "attacker-secret",
        algorithm="HS256",
    )
    with pytest.raises(ex.TokenError, match="Invalid token") as caught:
        ex.decode_email_token(forged, NOW)
    assert type(caught.value) is ex.TokenError


def test_an_unsigned_alg_none_token_is_invalid() -> None:
    forged = ex.forge_alg_none_token(EMAIL, NOW)
    assert jwt.get_unverified_header(forged)["alg"] == "none"
    assert jwt.get_unverified_claims(forged)["purpose"] == "email_verify"
    with pytest.raises(ex.TokenError, match="Invalid token"):
        ex.decode_email_token(forged, NOW)


def test_a_well_signed_email_token_without_exp_is_invalid() -> None:
    forever = jwt.encode(
        {"sub": EMAIL, "purpose": "email_verify"}, ex.SECRETS[ex.EMAIL_VERIFY], algorithm="HS256"
    )
    with pytest.raises(ex.TokenError, match="Invalid token"):
        ex.decode_email_token(forever, NOW)
