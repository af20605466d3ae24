import doctest
import enum
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastestmcp.protocol import uri_template
from fastestmcp.protocol.errors import InvalidParams
from fastestmcp.protocol.uri_template import (
    CaptureConversionError,
    CaptureConverter,
    UriTemplate,
    UriTemplateError,
    convert_captures,
    sort_by_specificity,
)

# --------------------------------------------------------------------------------------------
# Expansion: the examples of RFC 6570 sections 1.2 and 3.2, with the variables of section 3.2.

RFC_VARIABLES: dict[str, Any] = {
    "count": ["one", "two", "three"],
    "dom": ["example", "com"],
    "dub": "me/too",
    "hello": "Hello World!",
    "half": "50%",
    "var": "value",
    "who": "fred",
    "base": "http://example.com/home/",
    "path": "/foo/bar",
    "list": ["red", "green", "blue"],
    "keys": {"semi": ";", "dot": ".", "comma": ","},
    "v": "6",
    "x": "1024",
    "y": "768",
    "empty": "",
    "empty_keys": {},
    "undef": None,
}

LEVEL_1 = [
    ("{var}", "value"),
    ("{hello}", "Hello%20World%21"),
]

LEVEL_2 = [
    ("{+var}", "value"),
    ("{+hello}", "Hello%20World!"),
    ("{+path}/here", "/foo/bar/here"),
    ("here?ref={+path}", "here?ref=/foo/bar"),
    ("X{#var}", "X#value"),
    ("X{#hello}", "X#Hello%20World!"),
]

LEVEL_3 = [
    ("map?{x,y}", "map?1024,768"),
    ("{x,hello,y}", "1024,Hello%20World%21,768"),
    ("{+x,hello,y}", "1024,Hello%20World!,768"),
    ("{+path,x}/here", "/foo/bar,1024/here"),
    ("{#x,hello,y}", "#1024,Hello%20World!,768"),
    ("{#path,x}/here", "#/foo/bar,1024/here"),
    ("X{.var}", "X.value"),
    ("X{.x,y}", "X.1024.768"),
    ("{/var}", "/value"),
    ("{/var,x}/here", "/value/1024/here"),
    ("{;x,y}", ";x=1024;y=768"),
    ("{;x,y,empty}", ";x=1024;y=768;empty"),
    ("{?x,y}", "?x=1024&y=768"),
    ("{?x,y,empty}", "?x=1024&y=768&empty="),
    ("?fixed=yes{&x}", "?fixed=yes&x=1024"),
    ("{&x,y,empty}", "&x=1024&y=768&empty="),
]

LEVEL_4 = [
    ("{var:3}", "val"),
    ("{var:30}", "value"),
    ("{list}", "red,green,blue"),
    ("{list*}", "red,green,blue"),
    ("{keys}", "semi,%3B,dot,.,comma,%2C"),
    ("{keys*}", "semi=%3B,dot=.,comma=%2C"),
    ("{+path:6}/here", "/foo/b/here"),
    ("{+list}", "red,green,blue"),
    ("{+list*}", "red,green,blue"),
    ("{+keys}", "semi,;,dot,.,comma,,"),
    ("{+keys*}", "semi=;,dot=.,comma=,"),
    ("{#path:6}/here", "#/foo/b/here"),
    ("{#list}", "#red,green,blue"),
    ("{#list*}", "#red,green,blue"),
    ("{#keys}", "#semi,;,dot,.,comma,,"),
    ("{#keys*}", "#semi=;,dot=.,comma=,"),
    ("X{.var:3}", "X.val"),
    ("X{.list}", "X.red,green,blue"),
    ("X{.list*}", "X.red.green.blue"),
    ("X{.keys}", "X.semi,%3B,dot,.,comma,%2C"),
    ("X{.keys*}", "X.semi=%3B.dot=..comma=%2C"),
    ("{/var:1,var}", "/v/value"),
    ("{/list}", "/red,green,blue"),
    ("{/list*}", "/red/green/blue"),
    ("{/list*,path:4}", "/red/green/blue/%2Ffoo"),
    ("{/keys}", "/semi,%3B,dot,.,comma,%2C"),
    ("{/keys*}", "/semi=%3B/dot=./comma=%2C"),
    ("{;hello:5}", ";hello=Hello"),
    ("{;list}", ";list=red,green,blue"),
    ("{;list*}", ";list=red;list=green;list=blue"),
    ("{;keys}", ";keys=semi,%3B,dot,.,comma,%2C"),
    ("{;keys*}", ";semi=%3B;dot=.;comma=%2C"),
    ("{?var:3}", "?var=val"),
    ("{?list}", "?list=red,green,blue"),
    ("{?list*}", "?list=red&list=green&list=blue"),
    ("{?keys}", "?keys=semi,%3B,dot,.,comma,%2C"),
    ("{?keys*}", "?semi=%3B&dot=.&comma=%2C"),
    ("{&var:3}", "&var=val"),
    ("{&list}", "&list=red,green,blue"),
    ("{&list*}", "&list=red&list=green&list=blue"),
    ("{&keys}", "&keys=semi,%3B,dot,.,comma,%2C"),
    ("{&keys*}", "&semi=%3B&dot=.&comma=%2C"),
]

SECTION_3_2 = [
    # 3.2.1 Variable Expansion
    ("{count}", "one,two,three"),
    ("{count*}", "one,two,three"),
    ("{/count}", "/one,two,three"),
    ("{/count*}", "/one/two/three"),
    ("{;count}", ";count=one,two,three"),
    ("{;count*}", ";count=one;count=two;count=three"),
    ("{?count}", "?count=one,two,three"),
    ("{?count*}", "?count=one&count=two&count=three"),
    ("{&count*}", "&count=one&count=two&count=three"),
    # 3.2.2 Simple String Expansion
    ("{var}", "value"),
    ("{hello}", "Hello%20World%21"),
    ("{half}", "50%25"),
    ("O{empty}X", "OX"),
    ("O{undef}X", "OX"),
    ("{x,y}", "1024,768"),
    ("{x,hello,y}", "1024,Hello%20World%21,768"),
    ("?{x,empty}", "?1024,"),
    ("?{x,undef}", "?1024"),
    ("?{undef,y}", "?768"),
    ("{var:3}", "val"),
    ("{var:30}", "value"),
    ("{list}", "red,green,blue"),
    ("{list*}", "red,green,blue"),
    ("{keys}", "semi,%3B,dot,.,comma,%2C"),
    ("{keys*}", "semi=%3B,dot=.,comma=%2C"),
    # 3.2.3 Reserved Expansion
    ("{+var}", "value"),
    ("{+hello}", "Hello%20World!"),
    ("{+half}", "50%25"),
    ("{base}index", "http%3A%2F%2Fexample.com%2Fhome%2Findex"),
    ("{+base}index", "http://example.com/home/index"),
    ("O{+empty}X", "OX"),
    ("O{+undef}X", "OX"),
    ("{+path}/here", "/foo/bar/here"),
    ("here?ref={+path}", "here?ref=/foo/bar"),
    ("up{+path}{var}/here", "up/foo/barvalue/here"),
    ("{+x,hello,y}", "1024,Hello%20World!,768"),
    ("{+path,x}/here", "/foo/bar,1024/here"),
    ("{+path:6}/here", "/foo/b/here"),
    ("{+list}", "red,green,blue"),
    ("{+list*}", "red,green,blue"),
    ("{+keys}", "semi,;,dot,.,comma,,"),
    ("{+keys*}", "semi=;,dot=.,comma=,"),
    # 3.2.4 Fragment Expansion
    ("{#var}", "#value"),
    ("{#hello}", "#Hello%20World!"),
    ("{#half}", "#50%25"),
    ("foo{#empty}", "foo#"),
    ("foo{#undef}", "foo"),
    ("{#x,hello,y}", "#1024,Hello%20World!,768"),
    ("{#path,x}/here", "#/foo/bar,1024/here"),
    ("{#path:6}/here", "#/foo/b/here"),
    ("{#list}", "#red,green,blue"),
    ("{#list*}", "#red,green,blue"),
    ("{#keys}", "#semi,;,dot,.,comma,,"),
    ("{#keys*}", "#semi=;,dot=.,comma=,"),
    # 3.2.5 Label Expansion with Dot-Prefix
    ("{.who}", ".fred"),
    ("{.who,who}", ".fred.fred"),
    ("{.half,who}", ".50%25.fred"),
    ("www{.dom*}", "www.example.com"),
    ("X{.var}", "X.value"),
    ("X{.empty}", "X."),
    ("X{.undef}", "X"),
    ("X{.var:3}", "X.val"),
    ("X{.list}", "X.red,green,blue"),
    ("X{.list*}", "X.red.green.blue"),
    ("X{.keys}", "X.semi,%3B,dot,.,comma,%2C"),
    ("X{.keys*}", "X.semi=%3B.dot=..comma=%2C"),
    ("X{.empty_keys}", "X"),
    ("X{.empty_keys*}", "X"),
    # 3.2.6 Path Segment Expansion
    ("{/who}", "/fred"),
    ("{/who,who}", "/fred/fred"),
    ("{/half,who}", "/50%25/fred"),
    ("{/who,dub}", "/fred/me%2Ftoo"),
    ("{/var}", "/value"),
    ("{/var,empty}", "/value/"),
    ("{/var,undef}", "/value"),
    ("{/var,x}/here", "/value/1024/here"),
    ("{/var:1,var}", "/v/value"),
    ("{/list}", "/red,green,blue"),
    ("{/list*}", "/red/green/blue"),
    ("{/list*,path:4}", "/red/green/blue/%2Ffoo"),
    ("{/keys}", "/semi,%3B,dot,.,comma,%2C"),
    ("{/keys*}", "/semi=%3B/dot=./comma=%2C"),
    # 3.2.7 Path-Style Parameter Expansion
    ("{;who}", ";who=fred"),
    ("{;half}", ";half=50%25"),
    ("{;empty}", ";empty"),
    ("{;v,empty,who}", ";v=6;empty;who=fred"),
    ("{;v,bar,who}", ";v=6;who=fred"),
    ("{;x,y}", ";x=1024;y=768"),
    ("{;x,y,empty}", ";x=1024;y=768;empty"),
    ("{;x,y,undef}", ";x=1024;y=768"),
    ("{;hello:5}", ";hello=Hello"),
    ("{;list}", ";list=red,green,blue"),
    ("{;list*}", ";list=red;list=green;list=blue"),
    ("{;keys}", ";keys=semi,%3B,dot,.,comma,%2C"),
    ("{;keys*}", ";semi=%3B;dot=.;comma=%2C"),
    # 3.2.8 Form-Style Query Expansion
    ("{?who}", "?who=fred"),
    ("{?half}", "?half=50%25"),
    ("{?x,y}", "?x=1024&y=768"),
    ("{?x,y,empty}", "?x=1024&y=768&empty="),
    ("{?x,y,undef}", "?x=1024&y=768"),
    ("{?var:3}", "?var=val"),
    ("{?list}", "?list=red,green,blue"),
    ("{?list*}", "?list=red&list=green&list=blue"),
    ("{?keys}", "?keys=semi,%3B,dot,.,comma,%2C"),
    ("{?keys*}", "?semi=%3B&dot=.&comma=%2C"),
    # 3.2.9 Form-Style Query Continuation
    ("{&who}", "&who=fred"),
    ("{&half}", "&half=50%25"),
    ("?fixed=yes{&x}", "?fixed=yes&x=1024"),
    ("{&x,y,empty}", "&x=1024&y=768&empty="),
    ("{&var:3}", "&var=val"),
    ("{&list}", "&list=red,green,blue"),
    ("{&list*}", "&list=red&list=green&list=blue"),
    ("{&keys}", "&keys=semi,%3B,dot,.,comma,%2C"),
    ("{&keys*}", "&semi=%3B&dot=.&comma=%2C"),
]


@pytest.mark.parametrize(
    ("template", "expected"), LEVEL_1 + LEVEL_2 + LEVEL_3 + LEVEL_4 + SECTION_3_2
)
def test_expand_matches_rfc_6570_examples(template: str, expected: str) -> None:
    # Some RFC examples use a variable twice: valid for expansion, not for matching.
    assert UriTemplate(template, require_matchable=False).expand(RFC_VARIABLES) == expected


def test_expand_takes_keywords_and_a_mapping_with_keywords_winning() -> None:
    t = UriTemplate("{a}/{b.c}")
    assert t.expand({"a": "1", "b.c": "2"}) == "1/2"
    assert t.expand({"a": "1", "b.c": "2"}, a="x") == "x/2"
    assert t.expand(a="x") == "x/"


def test_expand_writes_numbers_and_booleans_in_plain_form() -> None:
    t = UriTemplate("{a},{b},{c},{d}", require_matchable=False)
    assert t.expand(a=3, b=2.5, c=True, d=False) == "3,2.5,true,false"


def test_expand_leaves_out_none_items_of_lists_and_dicts() -> None:
    assert UriTemplate("{/a*}").expand(a=["x", None, "y"]) == "/x/y"
    assert UriTemplate("{?a*}").expand(a={"k": None}) == ""
    assert UriTemplate("{?a*}").expand(a={"k": None, "j": 1}) == "?j=1"


def test_expand_percent_encodes_non_ascii_as_utf8() -> None:
    assert UriTemplate("{x}").expand(x="São Paulo") == "S%C3%A3o%20Paulo"
    assert UriTemplate("{+x}").expand(x="é/ü") == "%C3%A9/%C3%BC"


def test_expand_encodes_literal_characters_that_uris_do_not_allow() -> None:
    assert UriTemplate("notes://my notes/{id}").expand(id="1") == "notes://my%20notes/1"
    assert UriTemplate("café://{id}").expand(id="1") == "caf%C3%A9://1"
    assert UriTemplate("x%41/{id}").expand(id="1") == "x%41/1"


def test_expand_rejects_a_prefix_on_a_list_naming_the_variable() -> None:
    with pytest.raises(ValueError, match=r"'tags'.*:2 applies to strings only"):
        UriTemplate("{tags:2}").expand(tags=["a", "b"])


def test_expand_rejects_unsupported_values_naming_the_variable() -> None:
    with pytest.raises(TypeError, match=r"'when'.*got object"):
        UriTemplate("{when}").expand(when=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"'data'.*got bytes"):
        UriTemplate("{data}").expand(data=b"xy")


def test_docstring_examples_run() -> None:
    assert doctest.testmod(uri_template, raise_on_error=True).attempted > 0


# --------------------------------------------------------------------------------------------
# Parsing


def test_variables_lists_names_in_order_of_first_appearance() -> None:
    t = UriTemplate("weather://{city}/{+rest}{?days,units}{#frag}")
    assert t.variables == ("city", "rest", "days", "units", "frag")
    assert t.optional_variables == ("days", "units")
    assert UriTemplate("{/a,b}{.a}", require_matchable=False).variables == ("a", "b")


@pytest.mark.parametrize(
    ("template", "position", "reason"),
    [
        ("file:///{path", 8, "never closed"),
        ("file:///path}", 12, "without a matching"),
        ("a{b{c}}", 3, "inside the expression opened at position 1"),
        ("x{}", 1, "empty expression"),
        ("{=a}", 1, "reserved for future extensions"),
        ("{!a}", 1, "reserved for future extensions"),
        ("{|a}", 1, "reserved for future extensions"),
        ("{?}", 0, "names no variable"),
        ("{-a}", 1, "bad variable name"),
        ("{a b}", 2, "unexpected ' '"),
        ("{a..b}", 2, "unexpected '.'"),
        ("{a.}", 2, "unexpected '.'"),
        ("{a,,b}", 3, "stray ','"),
        ("{a:0}", 2, "bad prefix modifier"),
        ("{a:10000}", 2, "bad prefix modifier"),
        ("{a:x}", 2, "bad prefix modifier"),
        ("{a*:3}", 2, "do not combine"),
        ("{%zz}", 1, "bad variable name"),
        ("a\tb", 1, "control character"),
        ("{a}/{a}", 5, "already used at position 1"),
        ("{?a}/more", 4, "may follow a query expression"),
        ("{?a}{b}", 4, "may follow a query expression"),
        ("{?a}{#b}{#c}", 8, "may follow a query expression"),
    ],
)
def test_malformed_template_raises_naming_position_and_reason(
    template: str, position: int, reason: str
) -> None:
    with pytest.raises(UriTemplateError) as caught:
        UriTemplate(template)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.template == template
    assert error.position == position
    assert reason in error.reason
    assert f"at position {position}" in str(error)


def test_template_valid_only_for_expansion_raises_on_match() -> None:
    t = UriTemplate("{/var:1,var}", require_matchable=False)
    assert not t.matchable
    assert t.expand(var="value") == "/v/value"
    with pytest.raises(UriTemplateError, match="already used"):
        t.match("/v/value")


def test_matchable_templates_match_even_when_built_for_expansion() -> None:
    t = UriTemplate("{x}", require_matchable=False)
    assert t.matchable
    assert t.match("a") == {"x": "a"}


def test_variable_names_may_hold_dots_and_percent_escapes() -> None:
    t = UriTemplate("{a.b}/{%C3%A9}")
    assert t.variables == ("a.b", "%C3%A9")
    assert t.expand({"a.b": "1", "%C3%A9": "2"}) == "1/2"
    assert t.match("1/2") == {"a.b": "1", "%C3%A9": "2"}


def test_templates_compare_by_text() -> None:
    assert UriTemplate("a://{x}") == UriTemplate("a://{x}")
    assert len({UriTemplate("a://{x}"), UriTemplate("a://{x}")}) == 1
    assert UriTemplate("a://{x}") != UriTemplate("a://{y}")
    assert repr(UriTemplate("a://{x}")) == "UriTemplate('a://{x}')"
    assert str(UriTemplate("a://{x}")) == "a://{x}"


# --------------------------------------------------------------------------------------------
# Matching, operator by operator


def test_match_requires_the_whole_uri() -> None:
    t = UriTemplate("notes://{id}")
    assert t.match("notes://7") == {"id": "7"}
    assert t.match("notes://7/") is None
    assert t.match("xnotes://7") is None
    assert t.match("notes://") is None


def test_match_literal_text_is_case_sensitive() -> None:
    assert UriTemplate("notes://{id}").match("NOTES://7") is None


def test_simple_variable_does_not_span_path_segments() -> None:
    t = UriTemplate("file:///{name}")
    assert t.match("file:///a.txt") == {"name": "a.txt"}
    assert t.match("file:///dir/a.txt") is None


def test_simple_variable_stops_at_query_and_fragment() -> None:
    t = UriTemplate("notes://{id}")
    assert t.match("notes://7?x=1") is None
    assert t.match("notes://7#top") is None


def test_simple_variable_alone_keeps_commas_as_text() -> None:
    assert UriTemplate("tags://{tags}").match("tags://a,b") == {"tags": "a,b"}


def test_simple_variables_in_one_expression_split_on_commas() -> None:
    assert UriTemplate("map://{x,y}").match("map://1024,768") == {"x": "1024", "y": "768"}
    assert UriTemplate("map://{x,y}").match("map://1024") is None


def test_captures_are_percent_decoded_as_utf8() -> None:
    t = UriTemplate("weather://{city}/forecast")
    assert t.match("weather://S%C3%A3o%20Paulo/forecast") == {"city": "São Paulo"}
    assert t.match("weather://a%2Fb/forecast") == {"city": "a/b"}
    assert t.match("weather://a+b/forecast") == {"city": "a+b"}


def test_capture_that_is_not_utf8_after_decoding_does_not_match() -> None:
    assert UriTemplate("notes://{id}").match("notes://%FF") is None


def test_raw_non_ascii_and_spaces_in_a_uri_still_match() -> None:
    assert UriTemplate("notes://{id}").match("notes://café au lait") == {"id": "café au lait"}


def test_literal_characters_match_raw_or_percent_encoded() -> None:
    t = UriTemplate("files://café/{name}")
    assert t.match("files://café/x") == {"name": "x"}
    assert t.match("files://caf%C3%A9/x") == {"name": "x"}
    assert t.match("files://caf%c3%a9/x") == {"name": "x"}
    assert UriTemplate("x%2F{n}").match("x%2f1") == {"n": "1"}


def test_adjacent_variables_resolve_left_to_right_as_long_as_the_rest_matches() -> None:
    t = UriTemplate("file:///{name}.{ext}")
    assert t.match("file:///archive.tar.gz") == {"name": "archive.tar", "ext": "gz"}
    assert t.match("file:///noext") is None


def test_reserved_variable_spans_path_segments() -> None:
    t = UriTemplate("file:///{+path}")
    assert t.match("file:///a/b/c.txt") == {"path": "a/b/c.txt"}
    assert t.match("file:///a,b") == {"path": "a,b"}
    assert t.match("file:///a%3Fb") == {"path": "a?b"}


def test_reserved_variable_stops_at_query_and_fragment() -> None:
    assert UriTemplate("file:///{+path}").match("file:///a/b?c=1") is None
    t = UriTemplate("file:///{+path}{?rev}")
    assert t.match("file:///a/b?rev=2") == {"path": "a/b", "rev": "2"}
    assert t.match("file:///a/b") == {"path": "a/b"}


def test_reserved_variable_with_literal_suffix() -> None:
    t = UriTemplate("repo://{owner}/{+path}/raw")
    assert t.match("repo://me/src/a.py/raw") == {"owner": "me", "path": "src/a.py"}


def test_fragment_variable_takes_the_rest_of_the_uri() -> None:
    t = UriTemplate("doc://{id}{#section}")
    assert t.match("doc://7#intro/part?1") == {"id": "7", "section": "intro/part?1"}
    assert t.match("doc://7") is None
    assert t.match("doc://7#") is None


def test_fragment_variables_split_on_commas() -> None:
    assert UriTemplate("doc://x{#a,b}").match("doc://x#1,2") == {"a": "1", "b": "2"}


def test_label_variable_alone_may_contain_dots() -> None:
    t = UriTemplate("file:///report{.ext}")
    assert t.match("file:///report.tar.gz") == {"ext": "tar.gz"}
    assert t.match("file:///report") is None


def test_label_variables_split_on_dots() -> None:
    t = UriTemplate("host://www{.sub,dom}")
    assert t.match("host://www.example.com") == {"sub": "example", "dom": "com"}
    assert t.match("host://www.a.b.c") is None


def test_label_explode_yields_a_list() -> None:
    assert UriTemplate("host://www{.dom*}").match("host://www.example.com") == {
        "dom": ["example", "com"]
    }


def test_path_segment_variables_match_one_segment_each() -> None:
    t = UriTemplate("repo://x{/owner,name}")
    assert t.match("repo://x/me/proj") == {"owner": "me", "name": "proj"}
    assert t.match("repo://x/me/proj/more") is None
    assert t.match("repo://x/me") is None
    assert t.match("repo://x/me/") is None


def test_exploded_path_yields_one_item_per_segment() -> None:
    t = UriTemplate("skill://docs{/path*}")
    assert t.match("skill://docs/a/b%2Fc/d.md") == {"path": ["a", "b/c", "d.md"]}
    assert t.match("skill://docs/one") == {"path": ["one"]}
    assert t.match("skill://docs") is None
    assert t.match("skill://docs/a//b") is None


def test_exploded_path_followed_by_more_segments() -> None:
    t = UriTemplate("x:{/list*,last}")
    assert t.match("x:/red/green/blue") == {"list": ["red", "green"], "last": "blue"}


def test_simple_explode_yields_a_list_split_on_commas() -> None:
    assert UriTemplate("tags://{t*}").match("tags://a,b%2Cc") == {"t": ["a", "b,c"]}
    assert UriTemplate("tags://{+t*}").match("tags://a/1,b") == {"t": ["a/1", "b"]}


def test_path_style_parameters_match_in_template_order() -> None:
    t = UriTemplate("map://area{;x,y}")
    assert t.match("map://area;x=1024;y=768") == {"x": "1024", "y": "768"}
    assert t.match("map://area;x;y=768") == {"x": "", "y": "768"}
    assert t.match("map://area;y=768;x=1024") is None
    assert t.match("map://area;x=1024") is None
    assert t.match("map://area;xy=1;y=2") is None


def test_path_style_explode_collects_every_value() -> None:
    t = UriTemplate("list://c{;item*}")
    assert t.match("list://c;item=a;item;item=b%3Bc") == {"item": ["a", "", "b;c"]}


def test_query_parameters_match_in_any_order() -> None:
    t = UriTemplate("search://docs{?q,limit}")
    assert t.match("search://docs?q=mcp&limit=5") == {"q": "mcp", "limit": "5"}
    assert t.match("search://docs?limit=5&q=mcp") == {"q": "mcp", "limit": "5"}


def test_query_parameters_are_optional() -> None:
    t = UriTemplate("search://docs{?q,limit}")
    assert t.match("search://docs?limit=5") == {"limit": "5"}
    assert t.match("search://docs") == {}
    assert t.match("search://docs?") == {}


def test_query_parameter_details() -> None:
    t = UriTemplate("search://docs{?q,limit}")
    assert t.match("search://docs?q") == {"q": ""}
    assert t.match("search://docs?q=") == {"q": ""}
    assert t.match("search://docs?q=a=b") == {"q": "a=b"}
    assert t.match("search://docs?q=1&q=2") == {"q": "1"}
    assert t.match("search://docs?page=3&q=x") == {"q": "x"}
    assert t.match("search://docs?q=a%26b%20c+d") == {"q": "a&b c+d"}
    assert t.match("search://docs?%71=encoded-name") == {"q": "encoded-name"}
    assert t.match("search://docs?q=%FF") is None


def test_query_explode_collects_every_value() -> None:
    t = UriTemplate("search://docs{?tag*}")
    assert t.match("search://docs?tag=a&x=1&tag=b") == {"tag": ["a", "b"]}
    assert t.match("search://docs") == {}


def test_query_continuation_after_a_literal_query() -> None:
    t = UriTemplate("search://docs?fixed=yes{&x,y}")
    assert t.match("search://docs?fixed=yes&y=2&x=1") == {"x": "1", "y": "2"}
    assert t.match("search://docs?fixed=yes") == {}
    assert t.match("search://docs?fixed=no&x=1") is None


def test_positional_variables_after_a_literal_question_mark_stop_at_ampersand() -> None:
    t = UriTemplate("s://x?ref={ref}{&page}")
    assert t.match("s://x?ref=a&page=2") == {"ref": "a", "page": "2"}
    assert t.match("s://x?ref=a%26b") == {"ref": "a&b"}


def test_query_and_continuation_expressions_share_one_query() -> None:
    t = UriTemplate("s://x{?a}{&b}")
    assert t.match("s://x?b=2&a=1") == {"a": "1", "b": "2"}


def test_query_followed_by_a_fragment() -> None:
    t = UriTemplate("s://x{?a}{#frag}")
    assert t.match("s://x?a=1#top") == {"a": "1", "frag": "top"}
    assert t.match("s://x#top") == {"frag": "top"}


def test_prefix_modifier_rejects_longer_values() -> None:
    t = UriTemplate("code://{lang:2}/{id}")
    assert t.match("code://py/7") == {"lang": "py", "id": "7"}
    assert t.match("code://pyt/7") is None
    assert t.match("code://%C3%A9%C3%A9/7") == {"lang": "éé", "id": "7"}
    q = UriTemplate("s://x{?v:3}")
    assert q.match("s://x?v=abc") == {"v": "abc"}
    assert q.match("s://x?v=abcd") is None
    p = UriTemplate("s://x{;v:3}")
    assert p.match("s://x;v=abcd") is None


def test_template_without_variables_matches_only_itself() -> None:
    t = UriTemplate("config://app")
    assert t.match("config://app") == {}
    assert t.match("config://app2") is None


# --------------------------------------------------------------------------------------------
# Expand then match: the round trip, wherever expansion is invertible (see UriTemplate.match)

TRIPLET = re.compile(r"%[0-9A-Fa-f]{2}")
text = st.text(min_size=1, max_size=20)
maybe_empty_text = st.text(max_size=20)


def no_triplet(s: str) -> bool:
    return TRIPLET.search(s) is None


@given(text)
def test_round_trip_simple(value: str) -> None:
    t = UriTemplate("notes://{id}/view")
    assert t.match(t.expand(id=value)) == {"id": value}


@given(text.filter(no_triplet).filter(lambda s: "?" not in s and "#" not in s))
def test_round_trip_reserved(value: str) -> None:
    t = UriTemplate("file:///{+path}")
    assert t.match(t.expand(path=value)) == {"path": value}


@given(text.filter(no_triplet))
def test_round_trip_fragment(value: str) -> None:
    t = UriTemplate("doc://{id}{#section}")
    assert t.match(t.expand(id="7", section=value)) == {"id": "7", "section": value}


@given(text)
def test_round_trip_label(value: str) -> None:
    t = UriTemplate("file:///report{.ext}")
    assert t.match(t.expand(ext=value)) == {"ext": value}


@given(text, text)
def test_round_trip_path_segments(owner: str, name: str) -> None:
    t = UriTemplate("repo://x{/owner,name}")
    assert t.match(t.expand(owner=owner, name=name)) == {"owner": owner, "name": name}


@given(st.lists(text, min_size=1, max_size=6))
def test_round_trip_exploded_path(segments: list[str]) -> None:
    t = UriTemplate("skill://docs{/path*}")
    assert t.match(t.expand(path=segments)) == {"path": segments}


@given(st.lists(text, min_size=1, max_size=6))
def test_round_trip_simple_explode(items: list[str]) -> None:
    t = UriTemplate("tags://{t*}")
    assert t.match(t.expand(t=items)) == {"t": items}


@given(maybe_empty_text, maybe_empty_text)
def test_round_trip_path_style_parameters(x: str, y: str) -> None:
    t = UriTemplate("map://area{;x,y}")
    assert t.match(t.expand(x=x, y=y)) == {"x": x, "y": y}


@given(st.lists(maybe_empty_text, min_size=1, max_size=5))
def test_round_trip_path_style_explode(items: list[str]) -> None:
    t = UriTemplate("list://c{;item*}")
    assert t.match(t.expand(item=items)) == {"item": items}


@given(
    st.dictionaries(st.sampled_from(["q", "limit", "lang"]), maybe_empty_text),
    st.lists(maybe_empty_text, max_size=4),
)
def test_round_trip_query_with_any_subset_defined(values: dict[str, str], tags: list[str]) -> None:
    t = UriTemplate("search://{index}{?q,limit,lang,tag*}")
    expected: dict[str, Any] = {"index": "docs", **values}
    if tags:
        expected["tag"] = tags
    assert t.match(t.expand(values, index="docs", tag=tags)) == expected


@given(text.filter(lambda s: len(s) <= 5))
def test_round_trip_prefix_within_its_length(value: str) -> None:
    t = UriTemplate("code://{lang:5}")
    assert t.match(t.expand(lang=value)) == {"lang": value}


@given(text, text.filter(no_triplet).filter(lambda s: not set(s) & set("?#")), maybe_empty_text)
def test_round_trip_mixed_template(city: str, rest: str, units: str) -> None:
    t = UriTemplate("weather://{city}/{+rest}{?units}")
    uri = t.expand(city=city, rest=rest, units=units)
    assert t.match(uri) == {"city": city, "rest": rest, "units": units}


URI_TEXT = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-F]{2})*")


@given(st.sampled_from(["", "+", "#", ".", "/", ";", "?", "&"]), text)
def test_expansion_only_emits_uri_characters(op: str, value: str) -> None:
    uri = UriTemplate(f"s://é {{{op}x}}").expand(x=value)
    assert URI_TEXT.fullmatch(uri)


@given(st.text(max_size=30))
def test_parsing_any_string_raises_only_uri_template_error(template: str) -> None:
    try:
        UriTemplate(template)
    except UriTemplateError:
        pass


@given(st.text(alphabet="{}+#./;?&=,!*:0123456789abx%", max_size=20))
def test_parsing_brace_soup_raises_only_uri_template_error(template: str) -> None:
    try:
        UriTemplate(template, require_matchable=False)
    except UriTemplateError:
        pass


@given(st.text(max_size=40))
def test_matching_any_string_returns_a_dict_or_none(uri: str) -> None:
    t = UriTemplate("s://{a}/{+b}{.c}{/d*}{;e}{?f,g*}{#h}", require_matchable=False)
    result = t.match(uri)
    assert result is None or isinstance(result, dict)


# --------------------------------------------------------------------------------------------
# Specificity


def test_literal_path_beats_reserved_wildcard() -> None:
    wildcard = UriTemplate("file:///{+path}")
    logs = UriTemplate("file:///logs/{name}")
    assert sort_by_specificity([wildcard, logs]) == [logs, wildcard]


def test_simple_variable_beats_reserved_variable_with_same_literals() -> None:
    greedy = UriTemplate("notes://{+id}")
    simple = UriTemplate("notes://{id}")
    assert sort_by_specificity([greedy, simple]) == [simple, greedy]


def test_fewer_variables_win_when_literals_and_greed_are_equal() -> None:
    with_query = UriTemplate("s://{q}{?page}")
    plain = UriTemplate("s://{q}")
    assert sort_by_specificity([with_query, plain]) == [plain, with_query]


def test_structural_characters_of_expressions_count_as_fixed() -> None:
    assert UriTemplate("repo://x{/owner,name}").specificity == (10, 0, -2)
    assert UriTemplate("m://a{;x,y}").specificity == (9, 0, -2)
    assert UriTemplate("f:{/p*}").specificity == (3, -1, -1)


def test_specificity_ties_keep_registration_order() -> None:
    first, second = UriTemplate("a://{x}"), UriTemplate("b://{y}")
    assert sort_by_specificity([first, second]) == [first, second]
    assert sort_by_specificity([second, first]) == [second, first]


def test_first_match_in_specificity_order_routes_a_read() -> None:
    templates = sort_by_specificity(
        UriTemplate(t) for t in ["file:///{+path}", "file:///logs/{day}", "file:///logs/{day}/{n}"]
    )
    uri = "file:///logs/monday/3"
    routed = next((t, c) for t in templates if (c := t.match(uri)) is not None)
    assert routed == (UriTemplate("file:///logs/{day}/{n}"), {"day": "monday", "n": "3"})


# --------------------------------------------------------------------------------------------
# Typed captures


class Unit(enum.Enum):
    METRIC = "metric"
    IMPERIAL = "imperial"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


def test_captures_convert_to_annotated_types() -> None:
    captures = UriTemplate("weather://{city}/{days}").match("weather://paris/3")
    assert captures is not None
    assert convert_captures(captures, {"city": str, "days": int}) == {"city": "paris", "days": 3}


@pytest.mark.parametrize(
    ("value", "annotation", "expected"),
    [
        ("2.5", float, 2.5),
        ("true", bool, True),
        ("0", bool, False),
        ("metric", Unit, Unit.METRIC),
        ("2", Level, Level.HIGH),
        (["1", "2"], list[int], [1, 2]),
        ("1,2", list[int], [1, 2]),
        ("a,b", list[str], ["a", "b"]),
        ("", list[str], []),
        ("1,2", tuple[int, ...], (1, 2)),
        ("7", int | None, 7),
        ("a,b", str | list[str], "a,b"),
        ("a,b", list[str] | None, ["a", "b"]),
        ("x", Any, "x"),
    ],
)
def test_capture_conversion_per_type(value: Any, annotation: Any, expected: Any) -> None:
    assert convert_captures({"v": value}, {"v": annotation}) == {"v": expected}


def test_captures_without_annotation_pass_through() -> None:
    assert convert_captures({"a": "1", "b": ["x"]}, {"a": int}) == {"a": 1, "b": ["x"]}


def test_failed_conversion_names_the_variable_and_carries_invalid_params() -> None:
    with pytest.raises(CaptureConversionError) as caught:
        convert_captures({"city": "paris", "days": "soon"}, {"city": str, "days": int})
    error = caught.value
    assert error.variable == "days"
    assert error.value == "soon"
    assert error.code == -32602
    assert isinstance(error, InvalidParams)
    assert isinstance(error, ValueError)
    assert "'days' must be int" in str(error)
    assert "Expected `int`, got `str`" in str(error)


def test_failed_list_item_conversion_says_which_item() -> None:
    with pytest.raises(CaptureConversionError, match=r"'ids'.*\$\[1\]"):
        convert_captures({"ids": ["1", "x"]}, {"ids": list[int]})


def test_list_capture_for_a_scalar_parameter_is_an_error() -> None:
    with pytest.raises(CaptureConversionError, match="'path'"):
        convert_captures({"path": ["a", "b"]}, {"path": str})


def test_converter_rejects_annotations_msgspec_cannot_convert_to() -> None:
    with pytest.raises(TypeError, match="'days'"):
        CaptureConverter({"days": "int"})


def test_converter_is_reusable() -> None:
    convert = CaptureConverter({"days": int})
    assert convert({"days": "1"}) == {"days": 1}
    assert convert({"days": "2"}) == {"days": 2}
