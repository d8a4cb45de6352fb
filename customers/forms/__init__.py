"""Forms of the customer pages, one module per concern: choosing a relationship manager
(``managers``), the list and the pool (``listing``), handovers (``handover``), revealing an
identity number (``reveal``) and the customer record (``record``)."""
