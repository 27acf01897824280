"""Delivery of the queue's steps to the shop's Ordem de Serviço (OS) service."""
