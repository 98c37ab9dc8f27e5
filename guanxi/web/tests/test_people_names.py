from types import SimpleNamespace

from guanxi.core.text import person_name


def test_chinese_names_family_name_first():
    assert person_name(SimpleNamespace(first_name="伟", last_name="张", username="zw")) == "张伟"


def test_western_names_given_name_first_and_username_fallback():
    assert person_name(SimpleNamespace(first_name="Wei", last_name="Zhang", username="zw")) == "Wei Zhang"
    assert person_name(SimpleNamespace(first_name="", last_name="", username="zw")) == "zw"
    assert person_name(None) == ""
