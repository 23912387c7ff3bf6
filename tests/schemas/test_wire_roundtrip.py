"""decode(encode(x)) == x for every wire type, on every topic, in JSON and MessagePack."""

from __future__ import annotations

import inspect
import re

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire_strategies import all_struct_classes, strategy_for

from schemas import codec
from schemas.codec import members_of
from schemas.common import SCHEMA_VERSION
from schemas.topics import TOPIC_TYPES, dlq_topic, value_type

TOPICS = sorted(TOPIC_TYPES)
ALL_TOPICS = TOPICS + [dlq_topic(topic) for topic in TOPICS]
TOPIC_MEMBERS = sorted(
    {(topic, member) for topic in ALL_TOPICS for member in members_of(value_type(topic))},
    key=lambda pair: (pair[0], pair[1].__name__),
)
STRUCTS = all_struct_classes()
QUICK = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@pytest.mark.parametrize("topic", ALL_TOPICS)
@given(data=st.data())
def test_json_round_trip_over_topic_union(topic, data):
    # Arrange
    message = data.draw(strategy_for(value_type(topic)))
    # Act
    raw = codec.encode(topic, message)
    decoded = codec.decode(topic, raw)
    # Assert
    assert decoded == message
    assert type(decoded) is type(message)
    assert codec.encode(topic, decoded) == raw


@QUICK
@pytest.mark.parametrize("topic", ALL_TOPICS)
@given(data=st.data())
def test_msgpack_round_trip_over_topic_union(topic, data):
    message = data.draw(strategy_for(value_type(topic)))

    decoded = codec.decode_msgpack(topic, codec.encode_msgpack(topic, message))

    assert decoded == message


@QUICK
@pytest.mark.parametrize(("topic", "member"), TOPIC_MEMBERS, ids=lambda v: getattr(v, "__name__", v))
@given(data=st.data())
def test_every_member_of_every_topic_round_trips(topic, member, data):
    message = data.draw(strategy_for(member))

    assert codec.decode(topic, codec.encode(topic, message)) == message


@QUICK
@pytest.mark.parametrize("cls", STRUCTS, ids=lambda cls: cls.__qualname__)
@given(data=st.data())
def test_every_schema_struct_round_trips_standalone(cls, data):
    value = data.draw(strategy_for(cls))

    assert msgspec.json.decode(msgspec.json.encode(value), type=cls) == value
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(value), type=cls) == value


def test_the_struct_discovery_sees_every_module():
    modules = {cls.__module__ for cls in STRUCTS}

    assert {
        "schemas.alerts",
        "schemas.audit",
        "schemas.control",
        "schemas.dlq",
        "schemas.escalation",
        "schemas.market",
        "schemas.orders",
        "schemas.recording",
        "schemas.risk",
        "schemas.signals",
        "schemas.tradelog",
    } <= modules


@pytest.mark.parametrize(("topic", "member"), TOPIC_MEMBERS, ids=lambda v: getattr(v, "__name__", v))
def test_topic_types_follow_the_conventions(topic, member):
    config = member.__struct_config__
    fields = {f.name: f for f in msgspec.structs.fields(member)}

    assert fields["schema_version"].default == SCHEMA_VERSION
    parameters = inspect.signature(member).parameters.values()
    assert config.frozen
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters)
    assert config.tag_field == "type"
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", config.tag)


def test_tags_are_unique_across_topics():
    tags = [member.__struct_config__.tag for _, member in TOPIC_MEMBERS]
    by_class = {member: member.__struct_config__.tag for _, member in TOPIC_MEMBERS}

    assert len(set(by_class.values())) == len(by_class)
    assert set(tags) == set(by_class.values())
