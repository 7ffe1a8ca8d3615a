"""Typed FastAPI dependencies over the `Services` that `create_app` put on `app.state.services`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from bot.chat import ChatService
from bot.services import Services, request_services
from bot.settings import Settings
from bot.storage.accounts import PasswordPolicy
from knowledge.clock import CityClock


def get_services(request: Request) -> Services:
    return request_services(request)


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


def get_factory(services: ServicesDep) -> sessionmaker[Session]:
    return services.factory


def get_chat(services: ServicesDep) -> ChatService:
    return services.chat


def get_clock(services: ServicesDep) -> CityClock:
    return services.clock


def get_passwords(services: ServicesDep) -> PasswordPolicy:
    return services.passwords


SettingsDep = Annotated[Settings, Depends(get_settings)]
FactoryDep = Annotated[sessionmaker[Session], Depends(get_factory)]
ChatDep = Annotated[ChatService, Depends(get_chat)]
ClockDep = Annotated[CityClock, Depends(get_clock)]
PasswordsDep = Annotated[PasswordPolicy, Depends(get_passwords)]
