"""messaging/sms.py against a real Kannel (bearerbox + smsbox, its fake SMSC client fakesmsc): the message
arrives at the SMSC with its number and text, in GSM 7-bit or UCS-2; a wrong password, an unreachable or
silent smsbox, a missing setting and a bad number are each one SmsError (or ValueError) naming what to fix,
and only the silent one says the message may have gone out."""

from __future__ import annotations

import socket
import threading

import pytest

from messaging.sms import KannelConfig, SmsError, coding_of, send_sms, valid_number
from messaging.tests.smtp_sink import free_port


def test_sms_arrives_at_the_fake_smsc(kannel):
    to = "+50761110001"
    sent = send_sms(kannel.config(), to, "Recordatorio placas: su cita es el miercoles 2 de diciembre a las 09:00.")
    assert sent.reply.startswith(("0:", "3:"))
    [got] = kannel.wait_for(1, to=to)
    assert got.text == "Recordatorio placas: su cita es el miercoles 2 de diciembre a las 09:00."
    assert got.sender == "Centralita"


def test_text_outside_gsm_goes_as_ucs2_and_arrives_whole(kannel):
    to = "+50761110002"
    text = "Su cita: miércoles, código 482913. ¿Dudas? Llame."
    assert coding_of(text) == 2 and coding_of("Año, niño, él") == 0  # ñ and é are GSM; á, í, ó, ú are not
    send_sms(kannel.config(), to, text)
    [got] = kannel.wait_for(1, to=to)
    assert got.text == text


def test_wrong_password_is_named_and_nothing_arrives(kannel):
    to = "+50761110003"
    with pytest.raises(SmsError, match="refused the login: check CENTRALITA_KANNEL_USER/PASSWORD") as err:
        send_sms(kannel.config(password="wrong"), to, "x")
    assert not err.value.maybe_sent and "wrong" not in str(err.value)
    assert kannel.wait_for(1, timeout=1.0, to=to) == []


def test_unreachable_smsbox_is_named():
    port = free_port()
    config = KannelConfig(url=f"http://127.0.0.1:{port}/cgi-bin/sendsms", user="u", password="secret-pw")
    with pytest.raises(SmsError, match=rf"127\.0\.0\.1:{port}/cgi-bin/sendsms unreachable") as err:
        send_sms(config, "+50761110004", "x")
    assert not err.value.maybe_sent and "secret-pw" not in str(err.value)


def test_a_silent_smsbox_times_out_and_may_have_sent():
    """A listener that accepts and never answers: the request went out, so a retry could send twice."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        held: list[socket.socket] = []
        accept = threading.Thread(target=lambda: held.append(server.accept()[0]), daemon=True)
        accept.start()
        config = KannelConfig(url=f"http://127.0.0.1:{port}/cgi-bin/sendsms", user="u", password="p", timeout_s=0.5)
        with pytest.raises(SmsError, match=r"did not answer within 0\.5 s") as err:
            send_sms(config, "+50761110005", "x")
        assert err.value.maybe_sent
        for conn in held:
            conn.close()


def test_settings_and_numbers_are_named():
    with pytest.raises(SmsError, match="CENTRALITA_KANNEL_SENDSMS_URL"):
        send_sms(KannelConfig(url=""), "+50761110006", "x")
    with pytest.raises(SmsError, match="CENTRALITA_KANNEL_USER and CENTRALITA_KANNEL_PASSWORD"):
        send_sms(KannelConfig(url="http://127.0.0.1:1/cgi-bin/sendsms"), "+50761110006", "x")
    with pytest.raises(SmsError, match="not a number in E.164"):
        send_sms(KannelConfig(url="http://127.0.0.1:1/x", user="u", password="p"), "6111-0006", "x")
    assert valid_number("6111-0006", "PA") == "+50761110006"
    assert valid_number("+504 9999 0000", "PA") == "+50499990000"
    for bad in ["", "12", "abc", "+507 1"]:
        with pytest.raises(ValueError, match="is not a mobile number to text"):
            valid_number(bad, "PA")


def test_spanish_is_folded_to_gsm7_where_it_can_be():
    from messaging.sms import coding_of, gsm_fold

    folded = gsm_fold("Código del sábado: miércoles, año, pingüino, ¿sí? Ω")
    assert folded == "Codigo del sabado: miércoles, año, pingüino, ¿si? Ω"
    assert coding_of(folded) == 0 and coding_of("Código") == 2
    assert gsm_fold("日本") == "日本"  # nothing to fold it to: it goes as UCS-2
