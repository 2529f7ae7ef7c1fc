"""The administration screen: departments, doctors, staff and the hospital's rules."""
