"""The server definition: options, registration forms, duplicates, lookups, listing, paging."""

from __future__ import annotations

import asyncio
import math
import secrets
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastestmcp
from fastestmcp import Context
from fastestmcp.protocol import types as wire
from fastestmcp.protocol.cursor import InvalidCursor
from fastestmcp.server import (
    DuplicateComponentError,
    DuplicateComponentWarning,
    Prompt,
    Resource,
    ResourceTemplate,
    Server,
    Tool,
    enter_lifespans,
)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def ping() -> str:
    return "pong"


def echo(text: str) -> str:
    return text


# -- options ----------------------------------------------------------------------------------


def test_server_options_are_stored():
    key = secrets.token_bytes(32)
    app = fastestmcp.server(
        "weather",
        "Use forecast for forecasts.",
        version="1.2.0",
        website_url="https://example.com",
        icons=[{"src": "https://example.com/i.png"}],
        on_duplicate="replace",
        mask_error_details=True,
        strict_input_validation=True,
        list_page_size=10,
        cursor_key=key,
        max_sessions=5,
        session_idle_timeout=60,
    )
    assert isinstance(app, Server)
    assert (app.name, app.instructions, app.version) == (
        "weather",
        "Use forecast for forecasts.",
        "1.2.0",
    )
    assert app.icons == (wire.Icon(src="https://example.com/i.png"),)
    assert (app.on_duplicate, app.mask_error_details, app.strict_input_validation) == (
        "replace",
        True,
        True,
    )
    assert (app.list_page_size, app.cursor_key, app.max_sessions, app.session_idle_timeout) == (
        10,
        key,
        5,
        60.0,
    )
    assert app.server_info() == wire.Implementation(
        name="weather",
        version="1.2.0",
        icons=[wire.Icon(src="https://example.com/i.png")],
        website_url="https://example.com",
    )


def test_defaults():
    app = fastestmcp.server("x")
    assert app.on_duplicate == "error"
    assert app.mask_error_details is False
    assert app.list_page_size is None
    assert app.max_sessions == 10_000
    assert app.session_idle_timeout == 1800.0
    assert app.server_info().version == fastestmcp.__version__
    assert fastestmcp.server("x", max_sessions=None, session_idle_timeout=None).max_sessions is None


@pytest.mark.parametrize("option", ["host", "port", "transport", "stateless_http", "path"])
def test_transport_options_say_they_belong_to_run(option):
    options: dict[str, Any] = {option: 1}
    with pytest.raises(TypeError, match=r"belong to run\(\)"):
        fastestmcp.server("x", **options)


def test_unknown_options_suggest_the_closest_name():
    with pytest.raises(TypeError, match="'list_pagesize' \\(did you mean 'list_page_size'\\?\\)"):
        fastestmcp.server("x", list_pagesize=3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"on_duplicate": "explode"}, "on_duplicate must be one of"),
        ({"list_page_size": 0}, "list_page_size must be a positive int"),
        ({"list_page_size": True}, "list_page_size must be a positive int"),
        ({"max_sessions": -1}, "max_sessions"),
        ({"session_idle_timeout": math.inf}, "session_idle_timeout"),
        ({"cursor_key": b"short"}, "cursor_key"),
    ],
)
def test_invalid_option_values_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fastestmcp.server("x", **dict[str, Any](kwargs))


def test_the_name_must_be_a_non_empty_string():
    with pytest.raises(ValueError, match="server name"):
        fastestmcp.server("")
    with pytest.raises(TypeError, match="instructions"):
        fastestmcp.server("x", 3)  # type: ignore[arg-type]


# -- registration forms -----------------------------------------------------------------------


def test_every_decorator_form_registers_and_returns_the_function():
    app = fastestmcp.server("x")

    @app.tool
    def bare() -> str:
        return "bare"

    @app.tool()
    def called() -> str:
        return "called"

    @app.tool("renamed")
    def positional() -> str:
        return "positional"

    @app.tool(name="kw", title="Keyword", tags={"t"})
    def keyword() -> str:
        return "keyword"

    def direct() -> str:
        return "direct"

    assert app.tool(direct, name="direct_tool") is direct
    assert bare() == "bare"
    assert positional() == "positional"
    assert [t.name for t in app.tools] == ["bare", "called", "renamed", "kw", "direct_tool"]
    kw = app.get_tool("kw")
    assert kw is not None
    assert kw.title == "Keyword"
    assert kw.tags == frozenset({"t"})


def test_prompt_decorator_forms():
    app = fastestmcp.server("x")

    @app.prompt
    def a() -> str:
        return "a"

    @app.prompt()
    def b() -> str:
        return "b"

    @app.prompt("c_name")
    def c() -> str:
        return "c"

    @app.prompt(name="d_name", description="D")
    def d() -> str:
        return "d"

    assert [p.name for p in app.prompts] == ["a", "b", "c_name", "d_name"]
    assert app.prompt(echo) is echo


def test_resource_decorators_and_templates():
    app = fastestmcp.server("x")

    @app.resource("mem://static", mime_type="text/plain")
    def static() -> str:
        return "s"

    @app.resource("mem://users/{user_id}")
    def user(user_id: int) -> str:
        return f"user {user_id}"

    @app.resource_template("mem://items/{item}", description="An item")
    def item(item: str) -> str:
        return item

    assert [r.uri for r in app.resources] == ["mem://static"]
    assert [t.uri_template for t in app.resource_templates] == [
        "mem://users/{user_id}",
        "mem://items/{item}",
    ]
    assert static() == "s"
    with pytest.raises(TypeError, match="needs the URI"):
        app.resource(static)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no \\{variables\\}"):
        app.resource_template("mem://plain")(static)


def test_name_given_twice_is_refused():
    app = fastestmcp.server("x")
    with pytest.raises(TypeError, match="name is given twice"):
        app.tool("a", name="b")


def test_add_methods_chain_and_accept_built_components():
    app = fastestmcp.server("x")
    built = Tool.from_function(echo, name="built")
    result = (
        app.add_tool(ping)
        .add_tool(built)
        .add_resource(ping, "mem://ping")
        .add_resource(Resource.from_function(ping, "mem://ping2"))
        .add_resource(echo, "mem://echo/{text}")
        .add_resource_template(ResourceTemplate.from_function(echo, "mem://echo2/{text}"))
        .add_prompt(echo)
        .add_prompt(Prompt.from_function(ping, name="ping_prompt"))
        .add_dependency("db", lambda: "conn")
        .add_lifespan(lambda server: _lifespan(server))
    )
    assert result is app
    assert app.get_tool("built") is built
    assert [r.uri for r in app.resources] == ["mem://ping", "mem://ping2"]
    assert [t.uri_template for t in app.resource_templates] == [
        "mem://echo/{text}",
        "mem://echo2/{text}",
    ]
    assert [p.name for p in app.prompts] == ["echo", "ping_prompt"]
    with pytest.raises(TypeError, match="already built"):
        app.add_tool(built, name="other")
    with pytest.raises(TypeError, match="URI is required"):
        app.add_resource(ping)


@asynccontextmanager
async def _lifespan(server: Any) -> Any:
    yield {"server": server.name}


# -- duplicates -------------------------------------------------------------------------------


def test_duplicates_are_errors_by_default():
    app = fastestmcp.server("x").add_tool(ping)
    with pytest.raises(DuplicateComponentError, match="tool 'ping' is already registered"):
        app.add_tool(ping)
    app.add_resource(ping, "mem://a")
    with pytest.raises(DuplicateComponentError, match="resource 'mem://a'"):
        app.add_resource(ping, "mem://a", name="other_name")


def test_replace_keeps_the_position_and_takes_the_new_definition():
    app = fastestmcp.server("x", on_duplicate="replace").add_tool(ping).add_tool(echo)
    app.add_tool(echo, name="ping", description="new")
    assert [t.name for t in app.tools] == ["ping", "echo"]
    assert app.get_tool("ping").description == "new"  # type: ignore[union-attr]


def test_warn_warns_and_replaces():
    app = fastestmcp.server("x", on_duplicate="warn").add_prompt(ping)
    with pytest.warns(
        DuplicateComponentWarning, match="prompt 'ping' is already registered; replacing"
    ):
        app.add_prompt(ping, description="second")
    assert app.get_prompt("ping").description == "second"  # type: ignore[union-attr]


def test_ignore_keeps_the_first_definition():
    app = fastestmcp.server("x", on_duplicate="ignore").add_tool(ping, description="first")
    app.add_tool(ping, description="second")
    assert len(app.tools) == 1
    assert app.get_tool("ping").description == "first"  # type: ignore[union-attr]


def test_a_duplicate_is_the_same_name_and_version():
    app = fastestmcp.server("x").add_tool(ping, version="1").add_tool(ping, version="2")
    with pytest.raises(DuplicateComponentError, match="version '1'"):
        app.add_tool(ping, version="1")
    with pytest.raises(ValueError, match="mix versioned and unversioned"):
        app.add_tool(ping)
    other = fastestmcp.server("y").add_tool(ping)
    with pytest.raises(ValueError, match="mix versioned and unversioned"):
        other.add_tool(ping, version="1")


def test_duplicate_dependencies_follow_the_policy():
    with pytest.raises(DuplicateComponentError, match="dependency 'db'"):
        fastestmcp.server("x").add_dependency("db", ping).add_dependency("db", ping)
    ignored = (
        fastestmcp.server("x", on_duplicate="ignore")
        .add_dependency("db", ping)
        .add_dependency("db", echo)
    )
    assert ignored.dependencies["db"].factory is ping


# -- versions and visibility ----------------------------------------------------------------


def test_lookups_return_the_highest_visible_version_or_the_exact_one():
    app = fastestmcp.server("x")
    for version in ("1.9.0", "1.10.0", "1.10.0-rc1"):
        app.add_tool(ping, version=version, description=version)
    assert app.get_tool("ping").version == "1.10.0"  # type: ignore[union-attr]
    assert app.get_tool("ping", "1.9.0").version == "1.9.0"  # type: ignore[union-attr]
    assert app.get_tool("ping", "3") is None
    assert app.get_tool("nope") is None
    hide_newest = lambda c: c.version != "1.10.0"  # noqa: E731
    assert app.get_tool("ping", visible=hide_newest).version == "1.10.0-rc1"  # type: ignore[union-attr]
    assert app.get_tool("ping", "1.10.0", visible=hide_newest) is None


def test_lists_show_one_entry_per_name_at_its_highest_visible_version():
    app = (
        fastestmcp.server("x")
        .add_tool(ping, version="1")
        .add_tool(echo)
        .add_tool(ping, version="2")
    )
    listed = app.list_tools()
    assert [
        (t.name, (t.meta or {}).get("fastestmcp", {}).get("version")) for t in listed.tools
    ] == [
        ("ping", "2"),
        ("echo", None),
    ]
    assert [t.key for t in app.tools] == ["tool:ping@1", "tool:echo@", "tool:ping@2"]


def test_disabled_components_are_hidden_unless_the_caller_decides_otherwise():
    app = fastestmcp.server("x").add_tool(ping, enabled=False).add_tool(echo)
    assert [t.name for t in app.list_tools().tools] == ["echo"]
    assert app.get_tool("ping") is None
    everything = lambda c: True  # noqa: E731
    assert [t.name for t in app.list_tools(visible=everything).tools] == ["ping", "echo"]
    assert app.get_tool("ping", visible=everything) is not None


def test_removing_components():
    app = fastestmcp.server("x").add_tool(ping).add_prompt(ping).add_resource(ping, "m://p")
    app.add_resource(echo, "m://e/{text}")
    before = app.revision
    assert app.remove_tool("ping") is not None
    assert app.remove_tool("ping") is None
    assert app.remove_prompt("ping") is not None
    assert app.remove_resource("m://p") is not None
    assert app.remove_resource_template("m://e/{text}") is not None
    assert (app.tools, app.prompts, app.resources, app.resource_templates) == ((), (), (), ())
    assert app.resource_for_uri("m://e/x") is None
    assert app.revision == before + 4


def test_every_change_bumps_the_revision():
    app = fastestmcp.server("x")
    first = app.revision
    app.add_tool(ping)
    app.add_prompt(echo)
    app.add_completion("echo", "text", ["a"])
    assert app.revision == first + 3


# -- resources for URIs -------------------------------------------------------------------------


def test_exact_resources_win_then_the_most_specific_template():
    app = fastestmcp.server("x")

    @app.resource("file:///{+path}")
    def any_file(path: str) -> str:
        return f"any {path}"

    @app.resource("file:///logs/{name}")
    def log(name: str) -> str:
        return f"log {name}"

    @app.resource("file:///logs/today")
    def today() -> str:
        return "today"

    exact = app.resource_for_uri("file:///logs/today")
    assert exact is not None
    assert exact.component.key == "resource:file:///logs/today@"
    assert exact.captures is None
    specific = app.resource_for_uri("file:///logs/app.log")
    assert specific is not None
    assert specific.component.key == "template:file:///logs/{name}@"
    assert specific.captures == {"name": "app.log"}
    general = app.resource_for_uri("file:///etc/hosts")
    assert general is not None
    assert general.captures == {"path": "etc/hosts"}
    assert app.resource_for_uri("http://nothing") is None
    hidden = app.resource_for_uri("file:///logs/app.log", visible=lambda c: c.name != "log")
    assert hidden is not None
    assert hidden.component.name == "any_file"


# -- pagination -------------------------------------------------------------------------------


def test_lists_are_paged_in_registration_order_with_opaque_cursors():
    app = fastestmcp.server("x", list_page_size=2)
    names = [f"t{i}" for i in range(5)]
    for name in names:
        app.add_tool(ping, name=name)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = app.list_tools(cursor)
        seen += [t.name for t in page.tools]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
        assert "t" not in cursor or len(cursor) > 8  # opaque, not a name or a number
    assert seen == names
    assert pages == 3


def test_bad_cursors_and_cursors_of_other_lists_are_refused():
    app = (
        fastestmcp.server("x", list_page_size=1)
        .add_prompt(ping)
        .add_prompt(echo)
        .add_tool(ping)
        .add_tool(echo)
    )
    prompt_cursor = app.list_prompts().next_cursor
    assert prompt_cursor is not None
    with pytest.raises(InvalidCursor, match="belongs to 'prompts/list'"):
        app.list_tools(prompt_cursor)
    with pytest.raises(InvalidCursor):
        app.list_tools("not-a-cursor")
    with pytest.raises(InvalidCursor, match="belongs to"):
        app.list_tools(
            app.list_tools(scope="tools/list:session-a").next_cursor, scope="tools/list:session-b"
        )


def test_every_list_method_pages():
    app = fastestmcp.server("x", list_page_size=1)
    app.add_resource(ping, "m://1").add_resource(ping, "m://2", name="p2")
    app.add_resource(echo, "m://e/{text}").add_resource(echo, "m://f/{text}")
    app.add_prompt(ping).add_prompt(echo)
    for method in (app.list_resources, app.list_resource_templates, app.list_prompts):
        first = method()
        assert first.next_cursor is not None
        second = method(first.next_cursor)
        assert second.next_cursor is None
    assert app.list_resources().resources[0].uri == "m://1"
    assert app.list_resource_templates().resource_templates[0].uri_template == "m://e/{text}"


def test_cursors_survive_a_new_server_with_the_same_key():
    key = secrets.token_bytes(32)

    def build():
        return (
            fastestmcp.server("x", list_page_size=1, cursor_key=key).add_tool(ping).add_tool(echo)
        )

    cursor = build().list_tools().next_cursor
    assert [t.name for t in build().list_tools(cursor).tools] == ["echo"]


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 30), st.integers(1, 7))
def test_pages_concatenate_to_the_whole_list(count, page_size):
    app = fastestmcp.server("x", list_page_size=page_size)
    for i in range(count):
        app.add_tool(ping, name=f"t{i}")
    names: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = app.list_tools(cursor)
        assert len(page.tools) <= page_size
        names += [t.name for t in page.tools]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert names == [f"t{i}" for i in range(count)]
    assert pages == max(1, math.ceil(count / page_size))


def test_list_results_encode_to_the_wire_shape():
    app = fastestmcp.server("x").add_prompt(echo)
    assert msgspec.json.decode(msgspec.json.encode(app.list_prompts())) == {
        "prompts": [{"name": "echo", "arguments": [{"name": "text", "required": True}]}]
    }


# -- completions ------------------------------------------------------------------------------


def test_static_completions_filter_by_case_insensitive_prefix():
    app = fastestmcp.server("x")

    @app.prompt(completions={"language": ["Python", "Perl", "Elixir"]})
    def review(code: str, language: str) -> str:
        return code

    completer = app.completer(wire.PromptReference(name="review"), "language")
    assert completer is not None
    assert run(completer.complete("p")) == wire.Completion(
        values=["Python", "Perl"], total=2, has_more=False
    )
    assert completer.complete_static("EL").values == ["Elixir"]
    assert app.completer(wire.PromptReference(name="review"), "code") is None
    assert app.has_completions


def test_callable_completions_for_template_variables_sync_and_async():
    app = fastestmcp.server("x")

    @app.resource("repo://{owner}/{name}")
    def repo(owner: str, name: str) -> str:
        return f"{owner}/{name}"

    @app.completion("repo://{owner}/{name}", "owner")
    def owners(value: str) -> list[str]:
        return [o for o in ("ada", "alan", "grace") if o.startswith(value)]

    async def names(value: str, context: dict[str, str]) -> list[str]:
        return [f"{context.get('owner', '?')}-{value}{i}" for i in range(150)]

    app.add_completion("repo://{owner}/{name}", "name", names)
    ref = wire.ResourceTemplateReference(uri="repo://{owner}/{name}")
    owner = app.completer(ref, "owner")
    name = app.completer(ref, "name")
    assert owner is not None
    assert name is not None
    assert run(owner.complete("a")).values == ["ada", "alan"]
    result = run(name.complete("x", {"owner": "ada"}))
    assert result.values[0] == "ada-x0"
    assert (len(result.values), result.total, result.has_more) == (100, 150, True)
    assert owners("g") == ["grace"]  # the decorator returns the function


def test_completions_need_a_registered_target_and_argument():
    app = fastestmcp.server("x").add_prompt(echo)
    assert not app.has_completions
    with pytest.raises(ValueError, match="no prompt or resource template 'nope'"):
        app.add_completion("nope", "text", ["a"])
    with pytest.raises(ValueError, match="has no argument 'other'; it has \\['text'\\]"):
        app.add_completion("echo", "other", ["a"])
    with pytest.raises(TypeError, match="one str"):
        app.add_completion("echo", "text", "abc")
    with pytest.raises(TypeError, match="must be str"):
        app.add_completion("echo", "text", [1])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="no arguments to complete"):
        app.add_resource(ping, "m://p", completions={"x": ["a"]})


def test_completion_sources_stay_out_of_listed_arguments():
    app = fastestmcp.server("x").add_prompt(echo, completions={"text": ["hello"]})
    listed = msgspec.json.decode(msgspec.json.encode(app.list_prompts()))
    assert listed["prompts"][0]["arguments"] == [{"name": "text", "required": True}]


# -- dependencies and lifespans ---------------------------------------------------------------


def test_dependencies_of_every_kind_resolve_and_clean_up_in_reverse():
    events: list[str] = []

    def plain() -> str:
        return "plain"

    async def coroutine(ctx: Context) -> str:
        return f"async {type(ctx).__name__}"

    def generator():
        events.append("gen enter")
        yield "gen"
        events.append("gen exit")

    async def async_generator():
        events.append("agen enter")
        yield "agen"
        events.append("agen exit")

    app = fastestmcp.server("x")
    for name, factory in [
        ("plain", plain),
        ("coroutine", coroutine),
        ("gen", generator),
        ("agen", async_generator),
    ]:
        app.add_dependency(name, factory)  # type: ignore[arg-type]
    assert [d.kind for d in app.dependencies.values()] == [
        "function",
        "async_function",
        "generator",
        "async_generator",
    ]

    async def resolve_all() -> list[Any]:
        async with AsyncExitStack() as stack:
            values = [await d.resolve(Context(), stack) for d in app.dependencies.values()]
            events.append("handler")
        return values

    assert run(resolve_all()) == ["plain", "async Context", "gen", "agen"]
    assert events == ["gen enter", "agen enter", "handler", "agen exit", "gen exit"]


def test_a_dependency_returning_a_context_manager_is_entered():
    events: list[str] = []

    @asynccontextmanager
    async def session() -> Any:
        events.append("open")
        yield "session"
        events.append("close")

    app = fastestmcp.server("x").add_dependency("s", session)

    async def resolve() -> Any:
        async with AsyncExitStack() as stack:
            return await app.dependencies["s"].resolve(None, stack)

    assert run(resolve()) == "session"
    assert events == ["open", "close"]


def test_dependency_factories_take_no_parameter_or_the_context():
    with pytest.raises(TypeError, match="no parameter or one"):
        fastestmcp.server("x").add_dependency("d", lambda a, b: 1)
    with pytest.raises(ValueError, match="non-empty"):
        fastestmcp.server("x").add_dependency("", ping)


def test_lifespans_enter_in_order_merge_values_and_exit_in_reverse():
    events: list[str] = []

    async def first(server: Server) -> Any:
        events.append("enter first")
        yield {"db": "first", "name": server.name}
        events.append("exit first")

    @asynccontextmanager
    async def second(server: Server) -> Any:
        events.append("enter second")
        yield {"db": "second"}
        events.append("exit second")

    async def silent(server: Server) -> Any:
        yield None

    app = fastestmcp.server("x", lifespan=[first, second]).add_lifespan(silent)
    assert [lifespan.name for lifespan in app.lifespans] == ["first", "second", "silent"]

    async def start_and_stop() -> dict[str, Any]:
        async with AsyncExitStack() as stack:
            values = await enter_lifespans(app.lifespans, app, stack)
            events.append("serving")
        return values

    assert run(start_and_stop()) == {"db": "second", "name": "x"}
    assert events == ["enter first", "enter second", "serving", "exit second", "exit first"]


def test_a_failing_lifespan_exits_the_ones_already_entered():
    events: list[str] = []

    async def ok(server: Server) -> Any:
        try:
            yield {"a": 1}
        finally:
            events.append("exit ok")

    async def broken(server: Server) -> Any:
        if server.name == "x":
            raise RuntimeError("no database")
        yield {}

    app = fastestmcp.server("x", lifespan=[ok, broken])

    async def start() -> None:
        async with AsyncExitStack() as stack:
            await enter_lifespans(app.lifespans, app, stack)

    with pytest.raises(RuntimeError, match="no database"):
        run(start())
    assert events == ["exit ok"]


def test_lifespans_must_be_async():
    def sync(server: Server) -> Any:
        yield {}

    with pytest.raises(TypeError, match="must be async"):
        fastestmcp.server("x").add_lifespan(sync)
    with pytest.raises(TypeError, match="not an async context manager"):
        run(
            enter_lifespans(
                fastestmcp.server("x").add_lifespan(lambda s: 42).lifespans, None, AsyncExitStack()
            )
        )
