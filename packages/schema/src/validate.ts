// placeholder: validateFlow is being written (packages/schema helper)
export {};
