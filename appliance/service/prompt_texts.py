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
    },
    "de": {
        "session_starting": "Die Musikstunde beginnt.",
        "session_ending": "Die Musikstunde ist zu Ende.",
        "wearable_not_found": (
            "Der Brustgurt wurde nicht gefunden. Die Musik spielt ohne ihn weiter."
        ),
        "call_staff": "Bitte rufen Sie eine Pflegekraft.",
        "shutting_down": "Das Gerät schaltet sich aus.",
    },
    "fr": {
        "session_starting": "La séance de musique commence.",
        "session_ending": "La séance de musique est terminée.",
        "wearable_not_found": (
            "La ceinture cardiaque est introuvable. La musique continue sans elle."
        ),
        "call_staff": "Veuillez appeler un membre du personnel.",
        "shutting_down": "L'appareil s'éteint.",
    },
    "es": {
        "session_starting": "La sesión de música empieza.",
        "session_ending": "La sesión de música ha terminado.",
        "wearable_not_found": (
            "No se encuentra la banda de frecuencia cardiaca. La música sigue sin ella."
        ),
        "call_staff": "Por favor, llame a un miembro del personal.",
        "shutting_down": "El aparato se apaga.",
    },
    "nl": {
        "session_starting": "De muzieksessie begint.",
        "session_ending": "De muzieksessie is afgelopen.",
        "wearable_not_found": "De hartslagband is niet gevonden. De muziek gaat zonder door.",
        "call_staff": "Roep alstublieft een medewerker.",
        "shutting_down": "Het apparaat gaat uit.",
    },
}
KEYS = tuple(PHRASES["en"])
assert set(PHRASES) == set(PROMPT_VOICES), "every shipped language has its texts and voice"


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
