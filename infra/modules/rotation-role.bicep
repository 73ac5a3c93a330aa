// A custom role that lets the secret-rotation job regenerate Azure OpenAI keys and nothing
// else. The built-in alternative (Cognitive Services Contributor) could also delete the account
// or change its deployments, which the app must never be able to do.

@description('Environment name, part of the tenant-unique role name.')
param environmentName string

resource rotator 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'askeve-openai-key-rotator')
  properties: {
    roleName: 'Ask Eve OpenAI key rotator (${environmentName}, ${resourceGroup().name})'
    description: 'Read Azure OpenAI accounts, list and regenerate their keys. Used by the gateway secret-rotation job.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: [
          'Microsoft.CognitiveServices/accounts/read'
          'Microsoft.CognitiveServices/accounts/regenerateKey/action'
          // The job compares Key Vault's value with both account keys to find the standby one.
          'Microsoft.CognitiveServices/accounts/listKeys/action'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

output roleDefinitionId string = rotator.id
