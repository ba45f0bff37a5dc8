"""Test fakes that sit exactly at a port's boundary (real interfaces, scripted behaviour)."""
