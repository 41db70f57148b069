"""SIP trunks kept in the database (the settings' trunk is rendered beside them)."""

from sqlmodel import Field, SQLModel


class Trunk(SQLModel, table=True):
    __tablename__ = "trunks"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64, regex=r"^[a-z0-9][a-z0-9_-]*$")
    host: str = Field(default="", max_length=200)  # empty: inbound only, identified by `match`
    username: str = Field(default="", max_length=80)
    password: str = Field(default="", max_length=128)
    match: str = Field(default="", max_length=255)  # comma list of addresses/networks
    outbound_registration: bool = False
