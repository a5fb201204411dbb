// The transcript protocol: tags, rendering, the strict turn parser, the refusal detector, argument checks.
export { EOS, SPECIAL_TOKENS, TAG, escapeTags, type TurnTag } from './tokens';
export { renderSystemPrompt, renderConversation, formatCall, formatCheck, formatAnswer, formatRefusal, REFUSAL_SENTENCES, toolHeader } from './render';
export { parseTurn, MAX_TURN_CHARS, type ParsedTurn, type ParseOptions } from './parse';
export { isRefusal } from './refusal';
export { validateArguments, schemaError, sizeError, MAX_ARG_DEPTH, MAX_ARG_CHARS } from './args';
