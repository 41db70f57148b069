"""Call flows and the DIDs that lead into them."""
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Flow(SQLModel, table=True):
    """A flow's definition; the foundation runs one menu (see ivr/agi_app.py)."""

    __tablename__ = "flows"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    definition: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Did(SQLModel, table=True):
    __tablename__ = "dids"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(index=True, unique=True, max_length=32)
    flow_id: int = Field(foreign_key="flows.id", index=True)
