// The transcript protocol: tags, rendering, the strict turn parser, the refusal detector, argument checks.
export { EOS, SPECIAL_TOKENS, escapeTags } from './tokens';
export { renderSystemPrompt, renderConversation, formatCall, formatCheck, formatAnswer, formatRefusal, REFUSAL_SENTENCES, TOOL_HEADER, toolHeader } from './render';
export { parseTurn } from './parse';
export { isRefusal } from './refusal';
export { validateArguments, schemaError, sizeError } from './args';
