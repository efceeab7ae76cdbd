"""Code pages other than Windows-1252: read in their own, or refused naming them; never read
as Windows-1252 letters that mean something else. Files built here, encoded in each."""

import pytest
from django.utils import translation

from spreadsheets.encodings import detect_encoding, possible_code_pages
from spreadsheets.reading import ReadError, open_table

WESTERN = {
    "Dutch": "Naam;Plaats;Omschrijving\r\nJansen;Café 't Hoekje;Geïnteresseerd in één financiële coördinatie, "
    "reünie op 3 maart\r\nDe Vries;Zoë's crèche;Naïef idee, ruïne, Citroën, ± 12 °C, ½ liter, © 2025, € 12,50\r\n",
    "French": "Nom;Ville;Remarque\r\nÉlodie Lefèvre;Besançon;Très bien, à côté du château, où est la forêt? "
    "Noël, naïve, œuvre, garçon, déjà vu\r\nFrançois Dupré;Orléans;Problème réglé, crème brûlée, aïeul, maïs\r\n",
    "German": "Name;Ort;Bemerkung\r\nMüller;Düsseldorf;Größe, Straße, Übergabe, schön, Grüße, Ärger, Öl, Fußball\r\n"
    "Schäfer;München;Gebühr 15 €, Maße 2×3 m², Büro geöffnet\r\n",
    "Spanish": "Nombre;Ciudad;Nota\r\nJosé Peña;Córdoba;Año, niño, mañana, ¿Qué pasó? ¡Olé! Pingüino, acción\r\n"
    "María Núñez;Málaga;Está aquí, también, jamás, señor, educación, ESPAÑA\r\n",
    "names": "Naam;Stad\r\nÖztürk;Çelik\r\nGül;Küçük\r\nSøren Kierkegård;Århus\r\nNiccolò;Forlì, più, perché\r\n"
    "João;São Paulo, informações\r\nm³ water;km² land, Nº 5, 1ª, 5 µg\r\nl’homme;don´t, col·lecció\r\n",
}

OTHER = {
    "Polish": ("cp1250", "Imię;Miasto\r\nJan Kowalski;Łódź\r\nAnna Wiśniewska;Kraków, miłość, było, może\r\n"),
    "Polish, one word": ("cp1250", "Nummer;Plaats\r\n10001;Łódź\r\n"),
    "Polish ń": ("cp1250", "Nummer;Plaats\r\n10001;Gdańsk\r\n"),
    "Czech": ("cp1250", "Jméno;Město\r\nPetr Dvořák;Příliš žluťoučký kůň úpěl ďábelské ódy\r\n"),
    "Czech without ť": ("cp1250", "Jméno;Město\r\nDvořák;Příliš\r\nČech;Děčín\r\n"),
    "Hungarian": ("cp1250", "Név;Város\r\nKovács Gábor;Győr\r\nSzabó Éva;Árvíztűrő tükörfúrógép, Szőlő, Ősz\r\n"),
    "Croatian": ("cp1250", "Ime;Grad\r\nĐurđa Hećimović;Đakovo, čišćenje, kuća\r\n"),
    "Romanian": ("cp1250", "Nume;Oraş\r\nŞtefan;Iaşi, Bucureşti\r\n"),
    "Turkish": ("cp1254", "Ad;Şehir\r\nAhmet Yılmaz;İstanbul\r\nAyşe Kılıç;Şişli, Kadıköy, Üsküdar\r\n"),
    "Turkish names": ("cp1254", "Naam;Plaats\r\nYılmaz;Utrecht\r\nŞahin;Rotterdam\r\nDoğan;Den Haag\r\n"),
    "Lithuanian": ("cp1257", "Vardas;Miestas\r\nJonas Žukauskas;Šiauliai, Klaipėda, ąžuolas\r\n"),
    "Latvian": ("cp1257", "Vārds;Pilsēta\r\nJānis Bērziņš;Rīga, Ķekava, Jūrmala, Liepāja\r\n"),
    "Polish in ISO-8859-2": ("iso8859_2", "Imię;Miasto\r\nJan Kowalski;Łódź\r\nAnna Wiśniewska;Świętokrzyska\r\n"),
}


@pytest.mark.parametrize("language", WESTERN)
def test_west_european_text_is_read_as_windows_1252(language):
    assert detect_encoding(WESTERN[language].encode("cp1252"), complete=True) == "cp1252"


@pytest.mark.parametrize(
    "word",
    [
        "café",
        "ë",
        "ï",
        "ß",
        "ñ",
        "€",
        "±",
        "°",
        "½",
        "©",
        "crèche",
        "geïnteresseerd",
        "ideeën",
        "naïef",
        "Noël",
        "œuvre",
        "façade",
        "Smørrebrød",
        "Ångström",
        "Pääöljy",
        "lunedì",
        "più",
        "où",
        "Çelik",
        "Brontë",
        "¿Qué",
        "¡Olé!",
        "Peña",
        "ESPAÑA",
        "m²",
        "Nº",
    ],
)
def test_a_short_west_european_file_with_one_accented_word_is_read_as_windows_1252(word):
    assert detect_encoding(f"Nummer;Plaats\r\n10001;{word}\r\n".encode("cp1252"), complete=True) == "cp1252"


@pytest.mark.parametrize("language", OTHER)
def test_central_european_turkish_and_baltic_text_is_read_in_its_own_code_page(tmp_path, language):
    encoding, text = OTHER[language]
    path = tmp_path / "rows.csv"
    path.write_bytes(text.encode(encoding))
    table = open_table(path)
    rows = [list(row.cells) for row in table.rows()]
    table.close()
    expected = [line.split(";") for line in text.strip().split("\r\n")]
    assert table.encoding == encoding
    assert [table.headers, *rows] == expected


def test_a_file_whose_letters_read_as_words_in_several_code_pages_is_refused_naming_them(tmp_path):
    # "Győr" alone: Hungarian in Windows-1250, "Gyõr" in Windows-1252 (and Estonian in -1257).
    path = tmp_path / "rows.csv"
    path.write_bytes("Nummer;Plaats\r\n10001;Győr\r\n".encode("cp1250"))
    assert possible_code_pages(path.read_bytes()) == ["cp1252", "cp1250"]
    with pytest.raises(ReadError) as refused:
        open_table(path)
    assert str(refused.value) == (
        "'rows.csv' is not written in UTF-8, and its character set cannot be told for sure: it may be "
        "Windows-1252 (West European) or Windows-1250 (Central European). Read in the "
        "wrong one, letters with accents would change. Save it as CSV UTF-8 (Excel: Save As, CSV UTF-8; "
        "LibreOffice Calc: Save As, Text CSV, character set Unicode (UTF-8)) and upload it again."
    )
    with translation.override("nl"):
        assert "Windows-1250 (Centraal-Europees)" in str(refused.value)


def test_utf8_lines_in_a_central_european_csv_are_refused_naming_the_code_page(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(OTHER["Polish"][1].encode("cp1250") + "10003;Żółć\r\n".encode())
    with pytest.raises(ReadError) as refused:
        open_table(path)
    assert str(refused.value) == (
        "'rows.csv' was read as Windows-1250, but from row 4, column B on it holds text in another character "
        "set. Save it as CSV UTF-8 and upload it again."
    )


def test_utf8_lines_in_a_windows_1252_csv_are_still_called_mixed(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes("Nr;Naam\r\n1;José\r\n".encode("cp1252") + "2;Renée\r\n".encode())
    with pytest.raises(ReadError, match=r"mixes character sets \(UTF-8 and Windows-1252\), first in row 3"):
        open_table(path)
