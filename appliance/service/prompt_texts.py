"""What the spoken prompts say, in each language the device ships (vocabulary.PROMPT_VOICES).

Short, plain sentences: the listener may be old or living with dementia, and staff hear them
across a room. A recorded human voice can replace any of them (prompts.py).
"""

from __future__ import annotations

from appliance.vocabulary import PROMPT_VOICES

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "session_starting": "The music session is starting.",
        "session_ending": "The music session has ended.",
        "wearable_not_found": "The heart rate strap was not found. The music goes on without it.",
        "call_staff": "Please call a member of staff.",
        "shutting_down": "Switching off.",
        # The USB stick (appliance/usb/summary.py fills in the numbers and the folder's name).
        "usb_no_folder": "This USB stick has no Attune folder, so nothing was copied.",
        "usb_reports": "Reports copied to the USB stick. Residents: {residents}.",
        "usb_music": "New songs for {who}: {songs}.",
        "usb_music_refused": "Songs that could not be read: {unreadable}.",
        "usb_done": "You can take the USB stick out now.",
        "usb_pulled": "The USB stick was taken out too early. Nothing was lost. "
        "Plug it in again to finish.",
        "usb_failed": "The USB stick could not be finished. Nothing was lost. "
        "Please tell the technician.",
    },
    "de": {
        "session_starting": "Die Musikstunde beginnt.",
        "session_ending": "Die Musikstunde ist zu Ende.",
        "wearable_not_found": (
            "Der Brustgurt wurde nicht gefunden. Die Musik spielt ohne ihn weiter."
        ),
        "call_staff": "Bitte rufen Sie eine Pflegekraft.",
        "shutting_down": "Das Gerät schaltet sich aus.",
        "usb_no_folder": "Dieser USB-Stick hat keinen Ordner Attune. Es wurde nichts kopiert.",
        "usb_reports": "Berichte auf den USB-Stick kopiert. Bewohner: {residents}.",
        "usb_music": "Neue Lieder für {who}: {songs}.",
        "usb_music_refused": "Lieder, die nicht gelesen werden konnten: {unreadable}.",
        "usb_done": "Sie können den USB-Stick jetzt abziehen.",
        "usb_pulled": "Der USB-Stick wurde zu früh abgezogen. Es ging nichts verloren. "
        "Stecken Sie ihn wieder ein, um fertig zu werden.",
        "usb_failed": "Der USB-Stick konnte nicht fertig werden. Es ging nichts verloren. "
        "Bitte sagen Sie es dem Techniker.",
    },
    "fr": {
        "session_starting": "La séance de musique commence.",
        "session_ending": "La séance de musique est terminée.",
        "wearable_not_found": (
            "La ceinture cardiaque est introuvable. La musique continue sans elle."
        ),
        "call_staff": "Veuillez appeler un membre du personnel.",
        "shutting_down": "L'appareil s'éteint.",
        "usb_no_folder": "Cette clé USB n'a pas de dossier Attune. Rien n'a été copié.",
        "usb_reports": "Rapports copiés sur la clé USB. Résidents : {residents}.",
        "usb_music": "Nouvelles chansons pour {who} : {songs}.",
        "usb_music_refused": "Chansons illisibles : {unreadable}.",
        "usb_done": "Vous pouvez retirer la clé USB.",
        "usb_pulled": "La clé USB a été retirée trop tôt. Rien n'est perdu. "
        "Rebranchez-la pour terminer.",
        "usb_failed": "La clé USB n'a pas pu être terminée. Rien n'est perdu. "
        "Veuillez prévenir le technicien.",
    },
    "es": {
        "session_starting": "La sesión de música empieza.",
        "session_ending": "La sesión de música ha terminado.",
        "wearable_not_found": (
            "No se encuentra la banda de frecuencia cardiaca. La música sigue sin ella."
        ),
        "call_staff": "Por favor, llame a un miembro del personal.",
        "shutting_down": "El aparato se apaga.",
        "usb_no_folder": "Esta memoria USB no tiene carpeta Attune. No se ha copiado nada.",
        "usb_reports": "Informes copiados en la memoria USB. Residentes: {residents}.",
        "usb_music": "Canciones nuevas para {who}: {songs}.",
        "usb_music_refused": "Canciones que no se pudieron leer: {unreadable}.",
        "usb_done": "Ya puede retirar la memoria USB.",
        "usb_pulled": "La memoria USB se retiró demasiado pronto. No se ha perdido nada. "
        "Vuelva a conectarla para terminar.",
        "usb_failed": "La memoria USB no se pudo terminar. No se ha perdido nada. "
        "Por favor, avise al técnico.",
    },
    "nl": {
        "session_starting": "De muzieksessie begint.",
        "session_ending": "De muzieksessie is afgelopen.",
        "wearable_not_found": "De hartslagband is niet gevonden. De muziek gaat zonder door.",
        "call_staff": "Roep alstublieft een medewerker.",
        "shutting_down": "Het apparaat gaat uit.",
        "usb_no_folder": "Deze USB-stick heeft geen map Attune. Er is niets gekopieerd.",
        "usb_reports": "Rapporten naar de USB-stick gekopieerd. Bewoners: {residents}.",
        "usb_music": "Nieuwe liedjes voor {who}: {songs}.",
        "usb_music_refused": "Liedjes die niet gelezen konden worden: {unreadable}.",
        "usb_done": "U kunt de USB-stick nu uitnemen.",
        "usb_pulled": "De USB-stick is te vroeg uitgenomen. Er is niets verloren. "
        "Steek hem opnieuw in om af te ronden.",
        "usb_failed": "De USB-stick kon niet worden afgerond. Er is niets verloren. "
        "Waarschuw alstublieft de technicus.",
    },
}
KEYS = tuple(PHRASES["en"])
assert set(PHRASES) == set(PROMPT_VOICES), "every shipped language has its texts and voice"
assert all(tuple(texts) == KEYS for texts in PHRASES.values()), "every language, every prompt"


def language_of(voice: str) -> str | None:
    """The shipped language an espeak-ng voice speaks ("en-gb" → "en", "fr-fr" → "fr"), or
    None when it is not one of them."""
    name = voice.rsplit("/", 1)[-1].lower()
    for separator in ("+", "-"):
        name = name.split(separator, 1)[0]
    return name if name in PHRASES else None


def resolve(language: str, voice: str) -> tuple[str, str]:
    """(language, voice) from the configuration, where either may be "auto": the voice's
    language, or the language's voice; English when neither says."""
    if language == "auto":
        language = (language_of(voice) if voice != "auto" else None) or "en"
    if voice == "auto":
        voice = PROMPT_VOICES[language]
    return language, voice
