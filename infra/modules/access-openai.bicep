// Azure OpenAI roles for one app identity on the account it calls.
// - Cognitive Services OpenAI User: inference with the managed identity, nothing else.
// - The custom key-rotator role, only for the region that runs secret rotation.

@description('Azure OpenAI account name.')
param openAiAccountName string

@description('Object id of the app system-assigned identity.')
param principalId string

@description('Whether this identity runs secret rotation.')
param grantRotation bool

@description('Resource id of the custom key-rotator role definition.')
param rotatorRoleDefinitionId string

var openAiUserRoleId = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: openAiAccountName
}

resource inference 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, openAiUserRoleId)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', openAiUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource rotateKeys 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantRotation) {
  name: guid(account.id, principalId, 'askeve-openai-key-rotator')
  scope: account
  properties: {
    roleDefinitionId: rotatorRoleDefinitionId
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
