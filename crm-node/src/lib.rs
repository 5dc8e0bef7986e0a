//! Node.js bindings of crm.
